//! A claimed queue row with its inbox event ([`Job`]): the claim (`queue::CLAIM_BATCH`, as
//! typed by `tds_guest::queue`), then the documents read by a statement of their own
//! (`inbox::READ_DOCUMENTS`).

use std::rc::Rc;

use tds_core::ids::{InboxEventId, LeaseOwner};
use tds_guest::db::{Db, DbError};
use tds_guest::inbox::{read_documents, ReadDocuments, StoredDocument};
use tds_guest::queue::{claim_batch, ClaimBatch, ClaimedJob};

use crate::settings::Settings;

/// A claimed queue row with its inbox event.
pub struct Job {
    pub claim: ClaimedJob,
    /// `None` when the inbox event was not found. Shared, never copied, by the jobs of one
    /// event.
    pub event: Option<Rc<StoredDocument>>,
}

impl Job {
    /// The claim's correlation id, empty when it has none (as the logs and the journal
    /// record it).
    pub fn correlation_id(&self) -> &str {
        self.claim.correlation_id.as_deref().unwrap_or_default()
    }
}

/// Claims a batch of the lane for `owner` (committed at once) and reads its documents.
pub fn claim(db: &Db, settings: &Settings, owner: &LeaseOwner) -> Result<Vec<Job>, DbError> {
    let claimed = claim_batch(
        db,
        &ClaimBatch {
            lane: settings.lane,
            modules: &settings.claimable,
            limit: settings.batch_size,
            owner,
            lease_seconds: settings.lease_seconds,
        },
    )?;
    let mut jobs: Vec<Job> = claimed
        .into_iter()
        .map(|claim| Job { claim, event: None })
        .collect();
    if !jobs.is_empty() {
        add_documents(db, &mut jobs)?;
    }
    Ok(jobs)
}

/// Fills in the documents of claimed jobs, in a statement after the claim (see
/// `queue::CLAIM_BATCH`). A job whose event is not found keeps `None`.
fn add_documents(db: &Db, jobs: &mut [Job]) -> Result<(), DbError> {
    let ids: Vec<InboxEventId> = jobs.iter().map(|job| job.claim.inbox_event_id).collect();
    for document in read_documents(db, &ReadDocuments { ids: &ids })? {
        let document = Rc::new(document);
        for job in jobs
            .iter_mut()
            .filter(|job| job.claim.inbox_event_id == document.id)
        {
            job.event = Some(Rc::clone(&document));
        }
    }
    Ok(())
}
