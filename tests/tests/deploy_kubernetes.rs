//! The Kubernetes documents in `deploy/kubernetes/` are valid, checked offline the way
//! `kubectl apply --validate=strict` would check them: `scripts/lib/validate_kubernetes.py`
//! validates every `SpinApp` against `deploy/kubernetes/schema/spinapp-v1alpha1.json` (written
//! from SpinKube's CRD) and every other document against the strict Kubernetes schema of its
//! kind (kubernetes-validate), refusing unknown fields and failing a kind it has no schema for.
//!
//! Every `*.yaml` of the folder is validated (listed, so a new file is covered), and the kinds
//! the deployment needs — SpinApp, Secret, CronJob, Job — are each seen. The validator itself
//! is held to refusing what kubectl would refuse: each negative case is a valid document (the
//! baselines, which pass) with one mistake, and must fail with a message naming it.
//!
//! The validator runs with the Python venv `./scripts/test` makes in `target/pytools`
//! (`scripts/requirements-test.txt`).

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The kinds the deployment is made of; each must be in `deploy/kubernetes/`.
const EXPECTED_KINDS: [&str; 4] = ["SpinApp", "Secret", "CronJob", "Job"];

const SPINAPP: &str = "\
apiVersion: core.spinkube.dev/v1alpha1
kind: SpinApp
metadata:
  name: tds
spec:
  image: ghcr.io/example/tds:0.1.0
  executor: containerd-shim-spin
  replicas: 2
  variables:
    - name: database_url
      valueFrom:
        secretKeyRef:
          name: tds
          key: database_url
";

const CRONJOB: &str = "\
apiVersion: batch/v1
kind: CronJob
metadata:
  name: tds-heal
spec:
  schedule: \"* * * * *\"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers:
            - name: heal
              image: curlimages/curl:8.11.1
";

const SECRET: &str = "\
apiVersion: v1
kind: Secret
metadata:
  name: tds
type: Opaque
stringData:
  stats_token: a-token
";

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn python() -> PathBuf {
    tds_tests::pytools::tool("python")
}

/// What one run of the validator answered.
struct Answer {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Answer {
    fn lines(&self) -> Vec<&str> {
        self.stdout
            .lines()
            .filter(|line| !line.trim().is_empty())
            .collect()
    }
}

impl std::fmt::Display for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {:?}\nstdout:\n{}\nstderr:\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Runs the validator from the workspace root with `args`, feeding `stdin` to it.
fn validate(args: &[&str], stdin: &str) -> Answer {
    let root = workspace();
    let python = python();
    let mut child = Command::new(&python)
        .arg("-I")
        .arg(root.join("scripts/lib/validate_kubernetes.py"))
        .args(args)
        .current_dir(&root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("could not start {}: {e}", python.display()));
    if !stdin.is_empty() {
        child
            .stdin
            .take()
            .expect("the validator's stdin is piped")
            .write_all(stdin.as_bytes())
            .expect("write the documents to the validator's stdin");
    }
    // Closes the stdin still open (none given), then reads everything.
    let output = child.wait_with_output().expect("wait for the validator");
    Answer {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// The document must be refused, with a line naming every fragment of `expected`.
fn assert_refused(case: &str, document: &str, expected: &[&str]) {
    let answer = validate(&["-"], document);
    assert_eq!(
        answer.code,
        Some(1),
        "{case}: the validator must refuse it\n{answer}"
    );
    let lines = answer.lines();
    assert!(
        !lines.is_empty() && lines.iter().all(|line| line.starts_with("error - ")),
        "{case}: every document must be reported as an error\n{answer}"
    );
    assert!(
        lines
            .iter()
            .any(|line| expected.iter().all(|fragment| line.contains(fragment))),
        "{case}: no error line names {expected:?}\n{answer}"
    );
}

#[test]
fn every_deploy_document_is_valid() {
    let folder = workspace().join("deploy/kubernetes");
    let mut files: Vec<String> = std::fs::read_dir(&folder)
        .unwrap_or_else(|e| panic!("list {}: {e}", folder.display()))
        .map(|entry| entry.expect("read a deploy/kubernetes entry"))
        .filter(|entry| entry.file_type().map(|t| t.is_file()).unwrap_or(false))
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".yaml") || name.ends_with(".yml"))
        .map(|name| format!("deploy/kubernetes/{name}"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no YAML file in {}", folder.display());

    let args: Vec<&str> = files.iter().map(String::as_str).collect();
    let answer = validate(&args, "");
    assert_eq!(
        answer.code,
        Some(0),
        "the deploy documents must be valid\n{answer}"
    );

    let mut kinds = BTreeSet::new();
    for line in answer.lines() {
        let fields: Vec<&str> = line.split(' ').collect();
        assert!(
            fields.len() == 3 && fields[0] == "ok",
            "unexpected validator line {line:?}\n{answer}"
        );
        let kind = fields[2].split('/').next().unwrap_or_default();
        kinds.insert(kind.to_string());
    }
    for file in &files {
        assert!(
            answer
                .lines()
                .iter()
                .any(|line| line.split(' ').nth(1) == Some(file.as_str())),
            "{file} has no document the validator reported\n{answer}"
        );
    }
    for kind in EXPECTED_KINDS {
        assert!(
            kinds.contains(kind),
            "no {kind} in deploy/kubernetes (seen: {kinds:?})\n{answer}"
        );
    }
}

/// The documents the negative cases change pass as written, so each failure below is the
/// one mistake put in.
#[test]
fn baselines_pass_on_stdin() {
    let stream = format!("{SPINAPP}---\n{CRONJOB}---\n{SECRET}");
    let answer = validate(&["-"], &stream);
    assert_eq!(
        answer.code,
        Some(0),
        "the baseline documents must be valid\n{answer}"
    );
    assert_eq!(
        answer.lines(),
        [
            "ok - SpinApp/tds",
            "ok - CronJob/tds-heal",
            "ok - Secret/tds"
        ],
        "{answer}"
    );
}

#[test]
fn a_misspelt_spinapp_field_is_refused() {
    let document = SPINAPP.replace("  replicas: 2\n", "  replica: 2\n");
    assert_ne!(document, SPINAPP);
    assert_refused(
        "SpinApp with spec.replica",
        &document,
        &["SpinApp/tds: spec:", "'replica' was unexpected"],
    );
}

#[test]
fn a_secret_key_ref_without_key_is_refused() {
    let document = SPINAPP.replace("          key: database_url\n", "");
    assert_ne!(document, SPINAPP);
    assert_refused(
        "SpinApp variable with a secretKeyRef lacking key",
        &document,
        &[
            "spec.variables.0.valueFrom.secretKeyRef",
            "'key' is a required property",
        ],
    );
}

#[test]
fn a_numeric_cron_schedule_is_refused() {
    let document = CRONJOB.replace("  schedule: \"* * * * *\"\n", "  schedule: 5\n");
    assert_ne!(document, CRONJOB);
    assert_refused(
        "CronJob with a number as schedule",
        &document,
        &["CronJob/tds-heal: spec.schedule:", "not of type 'string'"],
    );
}

#[test]
fn an_unknown_secret_field_is_refused() {
    // Labels belong under metadata; at the top level kubectl's strict validation refuses them.
    let document = format!("{SECRET}labels:\n  app: tds\n");
    assert_refused(
        "Secret with a top-level labels",
        &document,
        &["Secret/tds", "'labels' was unexpected"],
    );
}

#[test]
fn an_unknown_kind_is_refused() {
    let document = "apiVersion: example.com/v1\nkind: Frobnicator\nmetadata:\n  name: tds\n";
    assert_refused(
        "a kind without a schema",
        document,
        &["Frobnicator/tds", "no schema", "Frobnicator"],
    );
}

#[test]
fn no_argument_is_a_usage_error() {
    let answer = validate(&[], "");
    assert_eq!(answer.code, Some(2), "{answer}");
    assert!(answer.stderr.contains("usage:"), "{answer}");
}
