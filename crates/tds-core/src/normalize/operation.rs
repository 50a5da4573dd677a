//! Operation detection: an operation's name, else the request's method, to upsert or delete.

/// What the event asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// Create or update the record.
    Upsert,
    /// Soft-delete the record.
    Delete,
}

impl Operation {
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Upsert => "upsert",
            Operation::Delete => "delete",
        }
    }

    /// ```
    /// use tds_core::normalize::Operation;
    /// assert_eq!(Operation::from_name("delete"), Some(Operation::Delete));
    /// assert_eq!(Operation::from_name("upsert"), Some(Operation::Upsert));
    /// ```
    pub fn from_name(name: &str) -> Option<Operation> {
        let name = name.trim().to_ascii_lowercase();
        let exact = |word: &str| match word {
            "delete" | "deleted" => Some(Operation::Delete),
            "upsert" | "create" | "created" | "update" | "updated" | "edit" | "edited"
            | "create_or_edit" => Some(Operation::Upsert),
            _ => None,
        };
        exact(&name).or_else(|| {
            let (_, last) = name.rsplit_once(['.', '_', '-', ' ', ':'])?;
            exact(last)
        })
    }

    /// The operation a request asks for: `named` (the first of the query parameter, the
    /// header and the body's hint) when given — an unknown name is an error — else the
    /// method.
    ///
    /// ```
    /// use tds_core::normalize::Operation;
    /// assert_eq!(Operation::from_request("POST", Some("invoice.deleted")), Ok(Operation::Delete));
    /// assert_eq!(Operation::from_request("DELETE", None), Ok(Operation::Delete));
    /// assert!(Operation::from_request("POST", Some("approved")).is_err());
    /// ```
    pub fn from_request(method: &str, named: Option<&str>) -> Result<Operation, String> {
        match named {
            Some(name) => Operation::from_name(name)
                .ok_or_else(|| format!("operation {name:?} is neither an upsert nor a delete")),
            None if method.eq_ignore_ascii_case("DELETE") => Ok(Operation::Delete),
            None => Ok(Operation::Upsert),
        }
    }
}
