//! Money is whole yuan (`i64`), never floating point; shown in 万元 with two decimals.

/// `12_345_678` yuan → `"1234.57"` (万元, rounded half away from zero).
pub fn wan(yuan: i64) -> String {
    let hundreds = (yuan.abs() + 50) / 100; // units of 0.01 万元
    let sign = if yuan < 0 && hundreds > 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", hundreds / 100, hundreds % 100)
}

#[cfg(test)]
mod tests {
    use super::wan;

    #[test]
    fn formats_in_wan_yuan() {
        assert_eq!(wan(0), "0.00");
        assert_eq!(wan(12_345_678), "1234.57");
        assert_eq!(wan(10_000), "1.00");
        assert_eq!(wan(49), "0.00");
        assert_eq!(wan(50), "0.01");
        assert_eq!(wan(-1_500_000), "-150.00");
    }
}
