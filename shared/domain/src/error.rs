//! Validation errors that name the field and the reason.

use serde::Serialize;

/// One thing wrong with one field. `field` is a path into the input (`parents[0].resident_id`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    /// Machine-readable reason, e.g. `invalid_check_digit`, `in_future`, `out_of_range`.
    pub code: &'static str,
    /// What is wrong, in Chinese for the people who fix the data.
    pub message: String,
}

impl FieldError {
    pub fn new(
        field: impl Into<String>,
        code: &'static str,
        message: impl Into<String>,
    ) -> FieldError {
        FieldError {
            field: field.into(),
            code,
            message: message.into(),
        }
    }
}

/// Every problem found in one input; never empty when returned as an error.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ValidationErrors(pub Vec<FieldError>);

impl ValidationErrors {
    pub fn push(
        &mut self,
        field: impl Into<String>,
        code: &'static str,
        message: impl Into<String>,
    ) {
        self.0.push(FieldError::new(field, code, message));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Ok(value) when nothing was found wrong.
    pub fn into_result<T>(self, value: T) -> Result<T, ValidationErrors> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }

    pub fn first(&self) -> Option<&FieldError> {
        self.0.first()
    }
}

impl std::fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{}: {}", e.field, e.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationErrors {}
