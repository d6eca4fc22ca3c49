//! Mainland China phone numbers: mobile and landline.

use std::fmt;

/// Mobile (手机) or landline (固定电话).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PhoneKind {
    /// 11 digits, `1[3-9]` followed by 9 digits.
    Mobile,
    /// Area code (3 or 4 digits starting with 0) and a 7–8 digit local number.
    Landline,
}

/// Why a string is not a phone number. Messages never include the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PhoneError {
    /// Nothing but whitespace.
    #[error("phone number is empty")]
    Empty,
    /// Neither a mainland mobile number nor a landline with area code.
    #[error("not a mainland China mobile number (1[3-9] + 9 digits) or landline (area code + 7-8 digits)")]
    Invalid,
}

impl PhoneError {
    /// The message in Chinese.
    pub fn reason_zh(&self) -> &'static str {
        match self {
            Self::Empty => "电话号码为空",
            Self::Invalid => "电话号码格式错误：应为11位手机号码或带区号的固定电话",
        }
    }
}

/// A validated phone number in normalized form: mobile `13800138000`,
/// landline `010-12345678` / `0533-1234567` (area code, hyphen, local number).
///
/// `Debug` prints the masked form; there is no `Display`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Phone {
    normalized: String,
    /// Length of the area code for landlines (0 for mobiles).
    area_len: usize,
}

/// 3-digit area codes are 010 and 020–029; every other area code has 4 digits.
fn area_code_len(digits: &str) -> usize {
    if digits.starts_with("010") || digits.starts_with("02") {
        3
    } else {
        4
    }
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

impl Phone {
    /// Parses a phone number. Spaces are ignored, a `+86`/`86`/`0086` prefix on mobile
    /// numbers is dropped, full-width digits are accepted, and a landline may be written
    /// with or without the hyphen after the area code (`010-12345678`, `01012345678`).
    pub fn parse(input: &str) -> Result<Self, PhoneError> {
        let s: String = input
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| match c {
                '０'..='９' => {
                    char::from_u32(u32::from(c) - 0xFF10 + u32::from('0')).unwrap_or(c)
                }
                '－' | '—' | '–' | ')' | '）' => '-',
                _ => c,
            })
            .filter(|c| !matches!(c, '(' | '（'))
            .collect();
        if s.is_empty() {
            return Err(PhoneError::Empty);
        }
        // Mobile, possibly with a country code.
        let compact: String = s.chars().filter(|&c| c != '-').collect();
        let mobile = compact
            .strip_prefix("+86")
            .or_else(|| compact.strip_prefix("0086"))
            .or_else(|| compact.strip_prefix("86").filter(|r| r.len() == 11))
            .unwrap_or(&compact);
        let mb = mobile.as_bytes();
        if mb.len() == 11 && all_digits(mobile) && mb[0] == b'1' && (b'3'..=b'9').contains(&mb[1]) {
            return Ok(Self {
                normalized: mobile.to_owned(),
                area_len: 0,
            });
        }
        // Landline.
        let (area, local) = match s.split_once('-') {
            Some((a, l)) => (a.to_owned(), l.replace('-', "")),
            None => {
                if !all_digits(&s) {
                    return Err(PhoneError::Invalid);
                }
                let n = area_code_len(&s).min(s.len());
                (s[..n].to_owned(), s[n..].to_owned())
            }
        };
        let area_ok = all_digits(&area) && (3..=4).contains(&area.len()) && area.starts_with('0');
        let local_ok =
            all_digits(&local) && (7..=8).contains(&local.len()) && !local.starts_with('0');
        if !(area_ok && local_ok) {
            return Err(PhoneError::Invalid);
        }
        Ok(Self {
            area_len: area.len(),
            normalized: format!("{area}-{local}"),
        })
    }

    /// The normalized number.
    pub fn as_str(&self) -> &str {
        &self.normalized
    }

    /// Mobile or landline.
    pub fn kind(&self) -> PhoneKind {
        if self.area_len == 0 {
            PhoneKind::Mobile
        } else {
            PhoneKind::Landline
        }
    }

    /// Masked for display: mobile `138****5678`; landline keeps the area code and the last
    /// 4 digits, `010-****5678`.
    pub fn masked(&self) -> String {
        let n = &self.normalized;
        if self.area_len == 0 {
            format!("{}****{}", &n[..3], &n[7..])
        } else {
            let local = &n[self.area_len + 1..];
            let keep = local.len().saturating_sub(4);
            format!(
                "{}-{}{}",
                &n[..self.area_len],
                "*".repeat(keep),
                &local[keep..]
            )
        }
    }
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Phone").field(&self.masked()).finish()
    }
}

impl std::str::FromStr for Phone {
    type Err = PhoneError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mobiles() {
        for input in [
            "13812345678",
            "138 1234 5678",
            "+86 138-1234-5678",
            "8613812345678",
            "１３８１２３４５６７８",
        ] {
            let p = Phone::parse(input).unwrap();
            assert_eq!(p.as_str(), "13812345678", "{input}");
            assert_eq!(p.kind(), PhoneKind::Mobile);
            assert_eq!(p.masked(), "138****5678");
        }
        assert_eq!(
            Phone::parse("12812345678").unwrap_err(),
            PhoneError::Invalid
        );
        assert_eq!(Phone::parse("1381234567").unwrap_err(), PhoneError::Invalid);
        assert_eq!(Phone::parse("  ").unwrap_err(), PhoneError::Empty);
    }

    #[test]
    fn landlines() {
        assert_eq!(
            Phone::parse("(010)12345678").unwrap().as_str(),
            "010-12345678"
        );
        let p = Phone::parse("010-12345678").unwrap();
        assert_eq!(p.kind(), PhoneKind::Landline);
        assert_eq!(p.as_str(), "010-12345678");
        assert_eq!(p.masked(), "010-****5678");
        assert_eq!(
            Phone::parse("01012345678").unwrap().as_str(),
            "010-12345678"
        );
        assert_eq!(
            Phone::parse("0533-2181234").unwrap().as_str(),
            "0533-2181234"
        );
        assert_eq!(
            Phone::parse("05332181234").unwrap().as_str(),
            "0533-2181234"
        );
        assert_eq!(
            Phone::parse("053321812345").unwrap().masked(),
            "0533-****2345"
        );
        assert_eq!(
            Phone::parse("0533-2181234").unwrap().masked(),
            "0533-***1234"
        );
        assert_eq!(
            Phone::parse("020 87654321").unwrap().as_str(),
            "020-87654321"
        );
        for bad in [
            "12345678",
            "0533-123456",
            "533-2181234",
            "0533-218123456",
            "010-1234567a",
        ] {
            assert_eq!(Phone::parse(bad).unwrap_err(), PhoneError::Invalid, "{bad}");
        }
    }

    #[test]
    fn debug_is_masked() {
        let p = Phone::parse("13812345678").unwrap();
        let dbg = format!("{p:?}");
        assert!(!dbg.contains("13812345678"));
        assert!(dbg.contains("138****5678"));
        assert!(!PhoneError::Invalid.reason_zh().is_empty());
    }
}
