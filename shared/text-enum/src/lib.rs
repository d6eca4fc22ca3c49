//! `text_enum!`: a closed vocabulary that travels as text, declared once (see the README).

/// A text that is not one of a vocabulary's values. The value itself is not quoted: the message may reach
/// a log, and a field's value is the caller's to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a known {what}")]
pub struct UnknownText {
    /// The vocabulary's type name.
    pub what: &'static str,
}

/// What every vocabulary is, for code that works over any of them (a query parameter's parse, the
/// message that lists what is accepted).
pub trait Vocabulary: Copy + 'static {
    /// Every value, in declaration order.
    fn all() -> &'static [Self];
    /// The value's text.
    fn text(self) -> &'static str;
    /// The value written as `text`, if it is one.
    fn from_text(text: &str) -> Option<Self>;

    /// `open、done或lapsed`: the texts, for a message saying what is accepted.
    fn texts_zh() -> String {
        let texts: Vec<&str> = Self::all().iter().map(|v| v.text()).collect();
        choices_zh(&texts)
    }
}

/// A vocabulary whose every value has the Chinese word users see (declared `Value = "text" / "词"`).
pub trait Labelled: Vocabulary {
    fn label(self) -> &'static str;

    /// Every value's text and word, in declaration order: a form's choices.
    fn choices() -> Vec<(&'static str, &'static str)> {
        Self::all()
            .iter()
            .map(|v| (v.text(), Labelled::label(*v)))
            .collect()
    }
}

/// A choice of a list that also offers `all` (`None`, every value); absent is `default`. The error
/// is the message naming what is accepted (`状态应为active、exited或all`), never the text given.
pub fn one_or_all<T: Vocabulary>(text: Option<&str>, default: T) -> Result<Option<T>, String> {
    match text.map(str::trim) {
        None => Ok(Some(default)),
        Some("all") => Ok(None),
        Some(given) => T::from_text(given).map(Some).ok_or_else(|| {
            let mut texts: Vec<&str> = T::all().iter().map(|v| v.text()).collect();
            texts.push("all");
            format!("状态应为{}", choices_zh(&texts))
        }),
    }
}

/// `open、done或all`: choices as a message lists them.
pub fn choices_zh(texts: &[&str]) -> String {
    match texts.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{}或{last}", rest.join("、")),
        _ => texts.concat(),
    }
}

/// The number of identifiers given (the length of a vocabulary's `ALL`).
#[doc(hidden)]
#[macro_export]
macro_rules! count {
    () => { 0usize };
    ($head:ident $($tail:ident)*) => { 1usize + $crate::count!($($tail)*) };
}

/// Declares an enum whose values are written as text; see the crate's README.
#[macro_export]
macro_rules! text_enum {
    // Every variant with its Chinese label.
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $($(#[$vmeta:meta])* $variant:ident = $text:literal / $label:literal),+ $(,)?
        }
    ) => {
        $crate::text_enum! {
            @enum $(#[$meta])* $vis enum $name { $($(#[$vmeta])* $variant = $text),+ }
        }
        impl $name {
            /// The Chinese word users see.
            pub const fn label(self) -> &'static str {
                match self { $(Self::$variant => $label),+ }
            }
        }

        impl $crate::Labelled for $name {
            fn label(self) -> &'static str {
                $name::label(self)
            }
        }
    };
    // No labels (codes that users do not see, or whose words live elsewhere).
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)?
        }
    ) => {
        $crate::text_enum! {
            @enum $(#[$meta])* $vis enum $name { $($(#[$vmeta])* $variant = $text),+ }
        }
    };
    (
        @enum $(#[$meta:meta])* $vis:vis enum $name:ident {
            $($(#[$vmeta:meta])* $variant:ident = $text:literal),+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        $vis enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every value, in declaration order (for forms, lists of choices and checks).
            pub const ALL: [$name; $crate::count!($($variant)+)] = [$(Self::$variant),+];

            /// The text written for this value in JSON, YAML, the database and forms.
            pub const fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }

            /// The value written as `text`, if it is one.
            pub fn parse(text: &str) -> ::std::option::Option<Self> {
                match text {
                    $($text => ::std::option::Option::Some(Self::$variant),)+
                    _ => ::std::option::Option::None,
                }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::UnknownText;

            fn from_str(text: &str) -> ::std::result::Result<Self, Self::Err> {
                Self::parse(text).ok_or($crate::UnknownText { what: stringify!($name) })
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl $crate::Vocabulary for $name {
            fn all() -> &'static [Self] {
                &Self::ALL
            }

            fn text(self) -> &'static str {
                self.as_str()
            }

            fn from_text(text: &str) -> ::std::option::Option<Self> {
                Self::parse(text)
            }
        }

        $crate::__column!($name);
    };
}

/// With the `diesel` feature, a vocabulary is also a `text` column's type: read back through `parse`
/// (a text outside the vocabulary is a deserialization error, never a silent default) and written as
/// `as_str`. These are the impls diesel's `AsExpression` and `FromSqlRow` derives write; the derives
/// cannot be used from inside this macro, since their expansion names the `diesel` crate, which the
/// crates declaring vocabularies (pure domain crates) do not depend on.
#[cfg(feature = "diesel")]
#[doc(hidden)]
#[macro_export]
macro_rules! __column {
    ($name:ident) => {
        const _: () = {
            use $crate::__diesel::backend::Backend;
            use $crate::__diesel::deserialize::{self, FromSql, Queryable};
            use $crate::__diesel::expression::AsExpression;
            use $crate::__diesel::internal::derives::as_expression::Bound;
            use $crate::__diesel::serialize::{self, Output, ToSql};
            use $crate::__diesel::sql_types::{Nullable, SingleValue, Text};

            impl<DB: Backend> FromSql<Text, DB> for $name
            where
                String: FromSql<Text, DB>,
            {
                fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                    let text = <String as FromSql<Text, DB>>::from_sql(bytes)?;
                    Ok(text.parse::<$name>()?)
                }
            }

            impl<DB: Backend> ToSql<Text, DB> for $name
            where
                str: ToSql<Text, DB>,
            {
                fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                    <str as ToSql<Text, DB>>::to_sql(self.as_str(), out)
                }
            }

            impl<DB: Backend> ToSql<Nullable<Text>, DB> for $name
            where
                str: ToSql<Text, DB>,
            {
                fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                    <str as ToSql<Text, DB>>::to_sql(self.as_str(), out)
                }
            }

            impl<DB: Backend, ST: SingleValue> Queryable<ST, DB> for $name
            where
                Self: FromSql<ST, DB>,
            {
                type Row = Self;

                fn build(row: Self) -> deserialize::Result<Self> {
                    Ok(row)
                }
            }

            impl AsExpression<Text> for $name {
                type Expression = Bound<Text, Self>;

                fn as_expression(self) -> Self::Expression {
                    Bound::new(self)
                }
            }

            impl AsExpression<Nullable<Text>> for $name {
                type Expression = Bound<Nullable<Text>, Self>;

                fn as_expression(self) -> Self::Expression {
                    Bound::new(self)
                }
            }

            impl<'a> AsExpression<Text> for &'a $name {
                type Expression = Bound<Text, Self>;

                fn as_expression(self) -> Self::Expression {
                    Bound::new(self)
                }
            }

            impl<'a> AsExpression<Nullable<Text>> for &'a $name {
                type Expression = Bound<Nullable<Text>, Self>;

                fn as_expression(self) -> Self::Expression {
                    Bound::new(self)
                }
            }
        };
    };
}

/// Without the `diesel` feature a vocabulary is not a column type.
#[cfg(not(feature = "diesel"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __column {
    ($name:ident) => {};
}

#[cfg(feature = "diesel")]
#[doc(hidden)]
pub use diesel as __diesel;

#[cfg(test)]
mod tests {
    text_enum! {
        /// A labelled vocabulary with an extra derive.
        #[derive(PartialOrd, Ord)]
        pub enum Kind {
            Bereaved = "bereaved" / "失独",
            Disabled = "disabled" / "伤残",
        }
    }

    text_enum! {
        enum Plain {
            First = "first_one",
            Second = "second",
        }
    }

    #[test]
    fn every_value_reads_back_from_its_text_in_code_json_and_from_str() {
        for kind in Kind::ALL {
            assert_eq!(Kind::parse(kind.as_str()), Some(kind));
            assert_eq!(kind.as_str().parse::<Kind>(), Ok(kind));
            let json = serde_json::to_string(&kind).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
            assert_eq!(serde_json::from_str::<Kind>(&json).ok(), Some(kind));
            assert_eq!(kind.to_string(), kind.as_str());
        }
        assert_eq!(Kind::Disabled.label(), "伤残");
        assert!(Kind::Bereaved < Kind::Disabled, "the extra derive applies");
        assert_eq!(Plain::ALL, [Plain::First, Plain::Second]);
        assert_eq!(
            serde_json::to_string(&Plain::First).unwrap_or_default(),
            "\"first_one\""
        );
    }

    #[test]
    fn every_vocabulary_lists_its_texts_for_messages() {
        use super::Vocabulary;
        assert_eq!(Kind::texts_zh(), "bereaved或disabled");
        assert_eq!(Plain::from_text("second"), Some(Plain::Second));
        assert_eq!(<Kind as Vocabulary>::all(), &Kind::ALL);
    }

    #[test]
    fn a_labelled_vocabulary_gives_a_forms_choices_in_order() {
        use super::Labelled;
        assert_eq!(
            Kind::choices(),
            [("bereaved", "失独"), ("disabled", "伤残")]
        );
    }

    #[test]
    fn an_unknown_text_is_refused_without_quoting_it() {
        assert_eq!(Kind::parse("Bereaved"), None, "texts are exact");
        let err = "990101195909050805".parse::<Kind>().unwrap_err();
        assert_eq!(err.what, "Kind");
        assert!(!err.to_string().contains("9901"), "{err}");
        assert!(serde_json::from_str::<Plain>("\"third\"").is_err());
    }
}
