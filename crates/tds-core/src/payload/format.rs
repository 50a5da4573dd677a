//! Body format detection: JSON or form, from the `Content-Type` or, without one, from the
//! body's first character.

use super::PayloadError;

/// How the body is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFormat {
    Json,
    Form,
}

impl BodyFormat {
    /// The format a `Content-Type` names; without one, a body starting with `{` is JSON
    /// and anything else a form.
    ///
    /// ```
    /// use tds_core::payload::BodyFormat;
    /// assert_eq!(BodyFormat::detect(Some("application/json; charset=utf-8"), b"{}"), Ok(BodyFormat::Json));
    /// assert_eq!(BodyFormat::detect(None, b"item_id=1"), Ok(BodyFormat::Form));
    /// assert!(BodyFormat::detect(Some("text/plain"), b"{}").is_err());
    /// ```
    pub fn detect(content_type: Option<&str>, body: &[u8]) -> Result<BodyFormat, PayloadError> {
        let Some(content_type) = content_type.filter(|c| !c.trim().is_empty()) else {
            let first = body.iter().find(|b| !b.is_ascii_whitespace());
            return Ok(if first == Some(&b'{') {
                BodyFormat::Json
            } else {
                BodyFormat::Form
            });
        };
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        match essence.as_str() {
            "application/json" | "text/json" => Ok(BodyFormat::Json),
            e if e.starts_with("application/") && e.ends_with("+json") => Ok(BodyFormat::Json),
            "application/x-www-form-urlencoded" => Ok(BodyFormat::Form),
            _ => Err(PayloadError::UnsupportedMediaType(content_type.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types() {
        assert_eq!(
            BodyFormat::detect(Some("Application/JSON"), b""),
            Ok(BodyFormat::Json)
        );
        assert_eq!(
            BodyFormat::detect(Some("application/vnd.zoho+json"), b""),
            Ok(BodyFormat::Json)
        );
        assert_eq!(
            BodyFormat::detect(
                Some("application/x-www-form-urlencoded; charset=UTF-8"),
                b""
            ),
            Ok(BodyFormat::Form)
        );
        assert_eq!(
            BodyFormat::detect(None, b"  {\"a\":1}"),
            Ok(BodyFormat::Json)
        );
        assert_eq!(
            BodyFormat::detect(Some("multipart/form-data; boundary=x"), b""),
            Err(PayloadError::UnsupportedMediaType(
                "multipart/form-data; boundary=x".into()
            ))
        );
    }
}
