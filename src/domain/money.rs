//! Money is whole yuan (`i64`), never floating point; shown in 万元 with two decimals and thousands separators
//! (the house style of 统计报表), the unit written once in the column header or label.
//!
//! [`wan`] formats any amount; [`Yuan`] is a validated policy amount (revenue, expenditure, instrument values):
//! non-negative and capped at [`Yuan::MAX`] (10^15 yuan), so sums of a handful of amounts and percentage
//! products stay exact in `i64`.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// `12_345_678` yuan → `"1,234.57"` (万元, rounded half away from zero, thousands separated).
pub fn wan(yuan: i64) -> String {
    let hundreds = (yuan.unsigned_abs() + 50) / 100; // units of 0.01 万元
    let sign = if yuan < 0 && hundreds > 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", grouped(hundreds / 100), hundreds % 100)
}

/// Digits in groups of three: 1234567 → "1,234,567".
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A non-negative whole-yuan amount, at most [`Yuan::MAX`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Yuan(i64);

/// Why a number is not a valid amount.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum YuanError {
    #[error("金额不能为负数")]
    Negative,
    #[error("金额超出范围（不得超过 10^15 元）")]
    TooLarge,
}

impl Yuan {
    /// The largest accepted amount: 10^15 yuan.
    pub const MAX: Yuan = Yuan(1_000_000_000_000_000);
    /// Zero yuan.
    pub const ZERO: Yuan = Yuan(0);

    /// An amount from whole yuan.
    pub const fn new(yuan: i64) -> Result<Yuan, YuanError> {
        if yuan < 0 {
            Err(YuanError::Negative)
        } else if yuan > Self::MAX.0 {
            Err(YuanError::TooLarge)
        } else {
            Ok(Yuan(yuan))
        }
    }

    /// The amount in whole yuan.
    pub const fn get(self) -> i64 {
        self.0
    }

    /// Whether the amount is zero.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// The amount in 万元 with its unit, as [`wan`] rounds it ("910.00万元").
    pub fn to_wan_string(self) -> String {
        format!("{}万元", wan(self.0))
    }
}

impl fmt::Display for Yuan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}元", self.0)
    }
}

impl Serialize for Yuan {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i64(self.0)
    }
}

impl<'de> Deserialize<'de> for Yuan {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let n = i64::deserialize(deserializer)?;
        Yuan::new(n).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_in_wan_yuan() {
        assert_eq!(wan(0), "0.00");
        assert_eq!(wan(12_345_678), "1,234.57");
        assert_eq!(wan(9_999_949), "999.99");
        assert_eq!(wan(9_999_950), "1,000.00");
        assert_eq!(wan(123_456_789_012), "12,345,678.90");
        assert_eq!(wan(i64::MIN), "-922,337,203,685,477.58");
        assert_eq!(wan(10_000), "1.00");
        assert_eq!(wan(49), "0.00");
        assert_eq!(wan(50), "0.01");
        assert_eq!(wan(-1_500_000), "-150.00");
    }

    #[test]
    fn accepts_zero_to_max() {
        assert_eq!(Yuan::new(0), Ok(Yuan::ZERO));
        assert_eq!(Yuan::new(1_200_000).map(Yuan::get), Ok(1_200_000));
        assert_eq!(Yuan::new(Yuan::MAX.get()), Ok(Yuan::MAX));
    }

    #[test]
    fn refuses_negative_and_huge() {
        assert_eq!(Yuan::new(-1), Err(YuanError::Negative));
        assert_eq!(Yuan::new(Yuan::MAX.get() + 1), Err(YuanError::TooLarge));
        assert_eq!(YuanError::Negative.to_string(), "金额不能为负数");
    }

    #[test]
    fn shows_wan_with_two_decimals() {
        let wan = |n| Yuan::new(n).map(Yuan::to_wan_string);
        assert_eq!(wan(9_100_000), Ok("910.00万元".to_owned()));
        assert_eq!(wan(12_345), Ok("1.23万元".to_owned()));
        assert_eq!(wan(12_350), Ok("1.24万元".to_owned()));
        assert_eq!(wan(0), Ok("0.00万元".to_owned()));
        assert_eq!(Yuan::MAX.to_wan_string(), "100,000,000,000.00万元");
    }

    #[test]
    fn serde_round_trip() {
        let amount = Yuan::new(80_000).expect("valid");
        assert_eq!(serde_json::to_string(&amount).expect("ser"), "80000");
        assert_eq!(serde_json::from_str::<Yuan>("80000").expect("de"), amount);
        assert!(serde_json::from_str::<Yuan>("-5").is_err());
    }
}
