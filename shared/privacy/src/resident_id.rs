//! PRC resident identity card numbers (公民身份号码), GB 11643-1999.

use chrono::{Datelike, NaiveDate};
use std::fmt;

/// Weights of ISO 7064 MOD 11-2 for the first 17 digits.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// Check character for each remainder 0..=10.
const CHECK_CHARS: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// Computes the GB 11643-1999 check character for the first 17 digits of an ID number.
///
/// Returns `None` unless `first17` is exactly 17 ASCII digits. Useful to make valid
/// *fictional* numbers for tests and demo data.
///
/// ```
/// assert_eq!(nuanxin_privacy::check_digit("11010519491231002"), Some('X'));
/// ```
pub fn check_digit(first17: &str) -> Option<char> {
    let bytes = first17.as_bytes();
    if bytes.len() != 17 || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = bytes
        .iter()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    CHECK_CHARS.get((sum % 11) as usize).copied()
}

/// Why a string is not a valid resident ID number.
///
/// The messages never include the input (it is personal data).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResidentIdError {
    /// Not 18 characters (after trimming surrounding whitespace).
    #[error("resident ID number must have 18 characters, found {0}")]
    WrongLength(usize),
    /// One of the first 17 characters is not a digit (1-based position).
    #[error("resident ID number must have digits in its first 17 positions (position {0} is not a digit)")]
    NonDigit(usize),
    /// The 18th character is neither a digit nor `X`.
    #[error("the check character of a resident ID number must be a digit or X")]
    BadCheckChar,
    /// Positions 7–14 are not a real calendar date (or the year is before 1900).
    #[error("resident ID number contains an invalid birth date")]
    BadBirthDate,
    /// The check character does not match the other 17 digits.
    #[error("resident ID number check digit is wrong")]
    WrongCheckDigit,
}

impl ResidentIdError {
    /// The message in Chinese, for the web console and import error reports.
    pub fn reason_zh(&self) -> String {
        match self {
            Self::WrongLength(n) => format!("身份证号码应为18位，实际为{n}位"),
            Self::NonDigit(p) => format!("身份证号码前17位应为数字（第{p}位不是数字）"),
            Self::BadCheckChar => "身份证号码第18位应为数字或X".to_owned(),
            Self::BadBirthDate => "身份证号码中的出生日期无效".to_owned(),
            Self::WrongCheckDigit => "身份证号码校验位错误".to_owned(),
        }
    }
}

/// A validated 18-character resident ID number, normalized (ASCII, uppercase `X`).
///
/// `Debug` prints the masked form; there is deliberately no `Display`: use
/// [`ResidentId::as_str`] where the full number is really needed (encryption, blind index).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResidentId(String);

/// Maps full-width digits and `Ｘ`/`ｘ` (common in pasted spreadsheet data) to ASCII.
fn to_ascii(c: char) -> char {
    match c {
        '０'..='９' => char::from_u32(u32::from(c) - 0xFF10 + u32::from('0')).unwrap_or(c),
        'Ｘ' | 'ｘ' | 'x' => 'X',
        _ => c,
    }
}

impl ResidentId {
    /// Parses and validates an ID number: length, digits, birth date, check digit.
    ///
    /// Surrounding whitespace is ignored, full-width digits are accepted and a lowercase
    /// `x` is normalized to `X`. Region codes (first 6 digits) are not checked against the
    /// administrative division list.
    pub fn parse(input: &str) -> Result<Self, ResidentIdError> {
        let normalized: String = input.trim().chars().map(to_ascii).collect();
        let len = normalized.chars().count();
        if len != 18 {
            return Err(ResidentIdError::WrongLength(len));
        }
        // 18 chars; all must be ASCII from here on for byte indexing to be sound.
        if let Some((i, _)) = normalized
            .chars()
            .take(17)
            .enumerate()
            .find(|(_, c)| !c.is_ascii_digit())
        {
            return Err(ResidentIdError::NonDigit(i + 1));
        }
        let last = normalized.chars().nth(17).unwrap_or(' ');
        if !(last.is_ascii_digit() || last == 'X') {
            return Err(ResidentIdError::BadCheckChar);
        }
        // Now the string is 18 ASCII bytes.
        if birth_date_of(&normalized).is_none() {
            return Err(ResidentIdError::BadBirthDate);
        }
        if check_digit(&normalized[..17]) != Some(last) {
            return Err(ResidentIdError::WrongCheckDigit);
        }
        Ok(Self(normalized))
    }

    /// The normalized 18-character number.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The birth date embedded in positions 7–14.
    pub fn birth_date(&self) -> NaiveDate {
        // Validated in `parse`; the fallback is unreachable.
        birth_date_of(&self.0).unwrap_or(NaiveDate::MIN)
    }

    /// True if the 17th digit (sequence code) is even, which GB 11643 assigns to women.
    pub fn is_female(&self) -> bool {
        matches!(
            self.0.as_bytes().get(16),
            Some(b'0' | b'2' | b'4' | b'6' | b'8')
        )
    }

    /// First 6 and last 4 characters, 8 stars between: `110105********002X`.
    pub fn masked(&self) -> String {
        format!("{}********{}", &self.0[..6], &self.0[14..])
    }

    /// Full years of age on `on` (年满N周岁 = on or after the N-th birthday).
    /// Someone born on 29 February reaches a new age on 1 March in common years.
    pub fn age_on(&self, on: NaiveDate) -> u32 {
        let b = self.birth_date();
        let mut years = on.year() - b.year();
        if (on.month(), on.day()) < (b.month(), b.day()) {
            years -= 1;
        }
        u32::try_from(years).unwrap_or(0)
    }
}

fn birth_date_of(id: &str) -> Option<NaiveDate> {
    let y: i32 = id.get(6..10)?.parse().ok()?;
    let m: u32 = id.get(10..12)?.parse().ok()?;
    let d: u32 = id.get(12..14)?.parse().ok()?;
    if y < 1900 {
        return None;
    }
    NaiveDate::from_ymd_opt(y, m, d)
}

impl fmt::Debug for ResidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ResidentId").field(&self.masked()).finish()
    }
}

impl std::str::FromStr for ResidentId {
    type Err = ResidentIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fictional(first17: &str) -> String {
        format!("{first17}{}", check_digit(first17).unwrap())
    }

    #[test]
    fn standard_example_is_valid() {
        let id = ResidentId::parse("11010519491231002X").unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
        assert_eq!(
            id.birth_date(),
            NaiveDate::from_ymd_opt(1949, 12, 31).unwrap()
        );
        assert!(id.is_female()); // 17th digit 2
        assert_eq!(id.masked(), "110105********002X");
        assert_eq!(
            id.age_on(NaiveDate::from_ymd_opt(2025, 12, 30).unwrap()),
            75
        );
        assert_eq!(
            id.age_on(NaiveDate::from_ymd_opt(2025, 12, 31).unwrap()),
            76
        );
    }

    #[test]
    fn check_digits_known_values() {
        assert_eq!(check_digit("11010519491231002"), Some('X'));
        // Another published example: 440524188001010014 (GB 11643 annex).
        assert_eq!(check_digit("44052418800101001"), Some('4'));
        assert_eq!(check_digit("1101051949123100"), None);
        assert_eq!(check_digit("1101051949123100a"), None);
    }

    #[test]
    fn lowercase_x_and_fullwidth_are_normalized() {
        let id = ResidentId::parse(" 11010519491231002x ").unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
        let id = ResidentId::parse("１１０１０５１９４９１２３１００２Ｘ").unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
    }

    #[test]
    fn male_and_digit_check_char() {
        let s = fictional("37030319680501001");
        let id = ResidentId::parse(&s).unwrap();
        assert!(!id.is_female());
        assert_eq!(
            id.birth_date(),
            NaiveDate::from_ymd_opt(1968, 5, 1).unwrap()
        );
    }

    #[test]
    fn wrong_check_digit() {
        let err = ResidentId::parse("110105194912310021").unwrap_err();
        assert_eq!(err, ResidentIdError::WrongCheckDigit);
        assert_eq!(err.reason_zh(), "身份证号码校验位错误");
        assert!(err.to_string().contains("check digit"));
    }

    #[test]
    fn seventeen_digits() {
        let err = ResidentId::parse("11010519491231002").unwrap_err();
        assert_eq!(err, ResidentIdError::WrongLength(17));
        assert!(err.reason_zh().contains("18位"));
    }

    #[test]
    fn non_digit() {
        assert_eq!(
            ResidentId::parse("1101051949123A002X").unwrap_err(),
            ResidentIdError::NonDigit(14)
        );
        assert_eq!(
            ResidentId::parse("11010519491231002Y").unwrap_err(),
            ResidentIdError::BadCheckChar
        );
        // Multi-byte characters count as one character and are not digits.
        assert_eq!(
            ResidentId::parse("张10519491231002X12").unwrap_err(),
            ResidentIdError::NonDigit(1)
        );
    }

    #[test]
    fn bad_birth_dates() {
        for first17 in [
            "11010519490230001", // Feb 30
            "11010519491301001", // month 13
            "11010519000229001", // 1900 not a leap year
            "11010518991231001", // before 1900
        ] {
            let err = ResidentId::parse(&fictional(first17)).unwrap_err();
            assert_eq!(err, ResidentIdError::BadBirthDate, "{first17}");
            assert!(!err.reason_zh().is_empty());
        }
        // 2000 is a leap year.
        assert!(ResidentId::parse(&fictional("11010520000229001")).is_ok());
    }

    #[test]
    fn debug_is_masked() {
        let id = ResidentId::parse("11010519491231002X").unwrap();
        let dbg = format!("{id:?}");
        assert!(!dbg.contains("11010519491231002X"), "{dbg}");
        assert!(dbg.contains("110105********002X"));
    }
}
