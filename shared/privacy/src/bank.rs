//! Bank card and account numbers (银行卡号/账号) of beneficiaries, for the disbursing unit's payment list.

use std::fmt;

/// Why a string is not an account number. Messages never include the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AccountError {
    #[error("bank account number must be 12 to 30 digits")]
    Invalid,
}

impl AccountError {
    /// The message in Chinese.
    pub fn reason_zh(&self) -> &'static str {
        match self {
            Self::Invalid => "银行账号应为12至30位数字",
        }
    }
}

/// A bank account number, digits only (spaces and hyphens as written on a card are dropped). UnionPay
/// card numbers have 16–19 digits; bank book and corporate accounts run longer.
///
/// `Debug` prints the masked form; there is no `Display`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct AccountNumber(String);

impl AccountNumber {
    pub fn parse(raw: &str) -> Result<AccountNumber, AccountError> {
        let digits: String = raw
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '\u{3000}'))
            .collect();
        if (12..=30).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
            Ok(AccountNumber(digits))
        } else {
            Err(AccountError::Invalid)
        }
    }

    /// The full number (for the disbursing unit's bank file, and for encryption).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first four and the last four digits: `6222********1234`.
    pub fn masked(&self) -> String {
        let n = self.0.len();
        format!("{}{}{}", &self.0[..4], "*".repeat(n - 8), &self.0[n - 4..])
    }
}

impl fmt::Debug for AccountNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AccountNumber({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_as_written_on_a_card_are_an_account_and_print_masked() {
        let a = AccountNumber::parse("6222 0212 3456 7890 123").unwrap();
        assert_eq!(a.as_str(), "6222021234567890123");
        assert_eq!(a.masked(), "6222***********0123");
        assert!(!format!("{a:?}").contains("1234567890"));
    }

    #[test]
    fn anything_else_is_refused() {
        for raw in ["", "12345678901", "6222abcd12345678", &"1".repeat(31)] {
            assert_eq!(
                AccountNumber::parse(raw),
                Err(AccountError::Invalid),
                "{raw}"
            );
        }
    }
}
