//! What a console form shows again after a refusal: the values as typed and each field's error, keyed
//! by the field's name (for forms the API answers: the JSON path its errors name). The form components
//! of `components.html` (`text`, `flag`, `choice`) read it.

use std::collections::HashMap;

use super::session::Posted;

#[derive(Debug, Default)]
pub struct Typed {
    pub values: HashMap<String, String>,
    pub errors: HashMap<String, String>,
    /// Errors that belong to no single field (e.g. how many contact persons a family needs).
    pub general: Vec<String>,
}

impl Typed {
    /// Everything a posted form carried, but its CSRF token.
    pub fn from_posted(form: &Posted) -> Typed {
        Typed {
            values: form
                .pairs()
                .filter(|(k, _)| *k != "csrf")
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            ..Typed::default()
        }
    }

    /// The same, with `message` beside `field`.
    pub fn with_error(mut self, field: &str, message: impl Into<String>) -> Typed {
        self.errors.insert(field.to_owned(), message.into());
        self
    }

    pub fn value(&self, prefix: &str, name: &str) -> &str {
        self.values
            .get(&format!("{prefix}{name}"))
            .map_or("", String::as_str)
    }

    pub fn checked(&self, prefix: &str, name: &str) -> bool {
        self.value(prefix, name) == "on"
    }

    pub fn selected(&self, prefix: &str, name: &str, option: &str) -> bool {
        self.value(prefix, name) == option
    }

    /// Whether anything is wrong: the form was not saved.
    pub fn refused(&self) -> bool {
        !self.errors.is_empty() || !self.general.is_empty()
    }

    pub fn error(&self, prefix: &str, name: &str) -> Option<&str> {
        self.errors
            .get(&format!("{prefix}{name}"))
            .map(String::as_str)
    }
}
