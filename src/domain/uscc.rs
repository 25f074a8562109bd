//! Unified social credit code (统一社会信用代码), GB 32100-2015.
//!
//! Eighteen characters from `0123456789ABCDEFGHJKLMNPQRTUWXY` (no I, O, Z, S, V); the last one is a check
//! character over the first seventeen. Registration-authority and entity-type codes are not checked.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The 31 characters of the code, in value order (a character's value is its index).
const CHARSET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// Weights of positions 1–17 in the check-character sum.
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// Length of a code in characters.
pub const USCC_LEN: usize = 18;

/// A unified social credit code whose length, characters and check character are valid.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Uscc(String);

/// Why a text is not a valid unified social credit code.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UsccError {
    #[error("统一社会信用代码应为18位（实际{actual}位）")]
    Length { actual: usize },
    #[error("统一社会信用代码含非法字符“{ch}”（第{position}位；不得含 I、O、Z、S、V 或小写字母）")]
    InvalidChar { position: usize, ch: char },
    #[error("统一社会信用代码校验位错误（第18位应为“{expected}”，实际为“{actual}”）")]
    CheckDigit { expected: char, actual: char },
}

/// The value of a code character, or `None` outside the charset.
fn char_value(c: char) -> Option<u32> {
    CHARSET
        .iter()
        .position(|&b| char::from(b) == c)
        .and_then(|i| u32::try_from(i).ok())
}

/// The check character for the first 17 values.
fn check_char(values: &[u32]) -> char {
    let sum: u32 = values.iter().zip(WEIGHTS).map(|(v, w)| v * w).sum();
    let check = (31 - sum % 31) % 31;
    char::from(CHARSET[check as usize])
}

impl Uscc {
    /// Parses and verifies a code (no trimming, upper case only).
    pub fn parse(s: &str) -> Result<Uscc, UsccError> {
        let chars: Vec<char> = s.chars().collect();
        if chars.len() != USCC_LEN {
            return Err(UsccError::Length {
                actual: chars.len(),
            });
        }
        let mut values = Vec::with_capacity(USCC_LEN);
        for (i, &ch) in chars.iter().enumerate() {
            let value = char_value(ch).ok_or(UsccError::InvalidChar {
                position: i + 1,
                ch,
            })?;
            values.push(value);
        }
        let expected = check_char(&values[..USCC_LEN - 1]);
        let actual = chars[USCC_LEN - 1];
        if expected != actual {
            return Err(UsccError::CheckDigit { expected, actual });
        }
        Ok(Uscc(s.to_owned()))
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Uscc {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for Uscc {
    type Err = UsccError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uscc::parse(s)
    }
}

impl Serialize for Uscc {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Uscc {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Uscc::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Published codes of real companies, plus the one used in the policy examples.
    const VALID: [&str; 6] = [
        "91320600MA1M9QX7K8", // policy examples
        "9144030071526726XG", // 深圳市腾讯计算机系统有限公司
        "91440300708461136T", // 华为技术有限公司
        "91110108551385082Q", // 小米科技有限责任公司
        "91330100799655058B", // 阿里巴巴（中国）有限公司
        "91110000600037341L",
    ];

    #[test]
    fn accepts_valid_codes() {
        for code in VALID {
            let uscc = Uscc::parse(code).unwrap_or_else(|e| panic!("{code}: {e}"));
            assert_eq!(uscc.as_str(), code);
            assert_eq!(uscc.to_string(), code);
        }
    }

    #[test]
    fn accepts_check_value_zero() {
        // Σ ≡ 0 (mod 31) gives 31 − 0 = 31, written as "0".
        assert_eq!(check_char(&[0; 17]), '0');
        assert!(Uscc::parse("000000000000000000").is_ok());
    }

    #[test]
    fn rejects_wrong_check_digit() {
        let err = Uscc::parse("91320600MA1M9QX7K9").expect_err("wrong check digit");
        assert_eq!(
            err,
            UsccError::CheckDigit {
                expected: '8',
                actual: '9'
            }
        );
        assert!(err.to_string().starts_with("统一社会信用代码校验位错误"));
        assert!(Uscc::parse("9144030071526726XH").is_err());
        assert!(Uscc::parse("91440300708461136A").is_err());
    }

    #[test]
    fn rejects_wrong_length() {
        let err = Uscc::parse("91320600MA1M9QX7K").expect_err("17 chars");
        assert_eq!(err, UsccError::Length { actual: 17 });
        assert!(err.to_string().starts_with("统一社会信用代码应为18位"));
        assert_eq!(Uscc::parse(""), Err(UsccError::Length { actual: 0 }));
        assert_eq!(
            Uscc::parse("91320600MA1M9QX7K88"),
            Err(UsccError::Length { actual: 19 })
        );
        // Counted in characters, not bytes.
        assert_eq!(
            Uscc::parse("统一社会信用代码"),
            Err(UsccError::Length { actual: 8 })
        );
    }

    #[test]
    fn rejects_characters_outside_the_charset() {
        for (code, position, ch) in [
            ("91320600MA1M9QI7K8", 15, 'I'),
            ("O1320600MA1M9QX7K8", 1, 'O'),
            ("91320600MA1M9QZ7K8", 15, 'Z'),
            ("91320600SA1M9QX7K8", 9, 'S'),
            ("91320600VA1M9QX7K8", 9, 'V'),
            ("91320600ma1m9qx7k8", 9, 'm'),
            ("91320600MA1M9QX7K-", 18, '-'),
        ] {
            let err = Uscc::parse(code).expect_err(code);
            assert_eq!(err, UsccError::InvalidChar { position, ch }, "{code}");
            assert!(err.to_string().starts_with("统一社会信用代码含非法字符"));
        }
    }

    #[test]
    fn serde_goes_through_parse() {
        let uscc = Uscc::parse(VALID[0]).expect("valid");
        let json = serde_json::to_string(&uscc).expect("serialize");
        assert_eq!(json, format!("\"{}\"", VALID[0]));
        assert_eq!(serde_json::from_str::<Uscc>(&json).expect("valid"), uscc);
        let err = serde_json::from_str::<Uscc>("\"91320600MA1M9QX7K9\"").expect_err("bad");
        assert!(err.to_string().contains("校验位错误"));
    }
}
