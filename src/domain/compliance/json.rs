//! Reading a `serde_json::Value` while tracking the JSON path, so every error names its field exactly.

use chrono::NaiveDate;
use serde_json::{Map, Value};

use super::error::InputError;
use crate::domain::CodeEnum;
use crate::domain::calendar::parse_iso_date;
use crate::domain::money::Yuan;

/// A value and the path that reached it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Node<'a> {
    value: &'a Value,
    path: &'a str,
}

/// An object and its path.
#[derive(Clone, Debug)]
pub(crate) struct Obj<'a> {
    map: &'a Map<String, Value>,
    path: String,
}

/// Path of the document itself.
pub(crate) const ROOT: &str = "$";

fn child_path(parent: &str, key: &str) -> String {
    if parent.is_empty() || parent == ROOT {
        key.to_owned()
    } else {
        format!("{parent}.{key}")
    }
}

fn type_name_zh(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "布尔值",
        Value::Number(_) => "数字",
        Value::String(_) => "字符串",
        Value::Array(_) => "数组",
        Value::Object(_) => "对象",
    }
}

impl<'a> Node<'a> {
    /// A node for `value` at `path`.
    pub(crate) fn new(value: &'a Value, path: &'a str) -> Node<'a> {
        Node { value, path }
    }

    /// An error naming this node.
    pub(crate) fn error(&self, message: impl Into<String>) -> InputError {
        InputError::new(self.path, message)
    }

    fn wrong_type(&self, expected: &str) -> InputError {
        self.error(format!(
            "应为{expected}，实际为{}",
            type_name_zh(self.value)
        ))
    }

    /// The node as an object.
    pub(crate) fn object(&self) -> Result<Obj<'a>, InputError> {
        match self.value {
            Value::Object(map) => Ok(Obj {
                map,
                path: self.path.to_owned(),
            }),
            _ => Err(self.wrong_type("对象")),
        }
    }

    /// The node's elements with their paths (`path[i]`).
    pub(crate) fn array(&self) -> Result<Vec<(String, &'a Value)>, InputError> {
        match self.value {
            Value::Array(items) => Ok(items
                .iter()
                .enumerate()
                .map(|(i, v)| (format!("{}[{i}]", self.path), v))
                .collect()),
            _ => Err(self.wrong_type("数组")),
        }
    }

    /// The node as a string.
    pub(crate) fn str(&self) -> Result<&'a str, InputError> {
        self.value.as_str().ok_or_else(|| self.wrong_type("字符串"))
    }

    /// The node as a non-empty string (after trimming whitespace).
    pub(crate) fn non_empty_str(&self) -> Result<&'a str, InputError> {
        let s = self.str()?;
        if s.trim().is_empty() {
            Err(self.error("不能为空"))
        } else {
            Ok(s)
        }
    }

    /// The node as a boolean.
    pub(crate) fn bool(&self) -> Result<bool, InputError> {
        self.value
            .as_bool()
            .ok_or_else(|| self.wrong_type("布尔值（true/false）"))
    }

    /// The node as a `YYYY-MM-DD` date.
    pub(crate) fn date(&self) -> Result<NaiveDate, InputError> {
        let s = self
            .value
            .as_str()
            .ok_or_else(|| self.wrong_type("YYYY-MM-DD 格式的日期字符串"))?;
        parse_iso_date(s).ok_or_else(|| self.error(format!("“{s}”不是 YYYY-MM-DD 格式的有效日期")))
    }

    /// The node as one of the codes of `T`.
    pub(crate) fn code<T: CodeEnum>(&self) -> Result<T, InputError> {
        let s = self
            .value
            .as_str()
            .ok_or_else(|| self.wrong_type(&format!("字符串（{}）", T::codes())))?;
        s.parse()
            .map_err(|_| self.error(format!("未知取值“{s}”，可选值：{}", T::codes())))
    }

    /// The node as a whole number (a JSON integer; `3.0` and `3.5` are refused).
    pub(crate) fn integer(&self) -> Result<i64, InputError> {
        let Value::Number(n) = self.value else {
            return Err(self.wrong_type("整数"));
        };
        if let Some(i) = n.as_i64() {
            Ok(i)
        } else if n.is_u64() {
            Err(self.error("数值超出范围"))
        } else {
            Err(self.error(format!("应为整数，实际为{n}")))
        }
    }

    /// The node as a whole number in `min..=max`.
    pub(crate) fn integer_in(&self, min: i64, max: i64) -> Result<i64, InputError> {
        let i = self.integer()?;
        if i < 0 && min >= 0 {
            Err(self.error(format!("不能为负数（实际为{i}）")))
        } else if i < min || i > max {
            Err(self.error(format!("应在 {min}–{max} 之间（实际为{i}）")))
        } else {
            Ok(i)
        }
    }

    /// The node as a non-negative count.
    pub(crate) fn count(&self) -> Result<u32, InputError> {
        let i = self.integer_in(0, i64::from(u32::MAX))?;
        u32::try_from(i).map_err(|_| self.error("数值超出范围"))
    }

    /// The node as an amount in whole yuan.
    pub(crate) fn yuan(&self) -> Result<Yuan, InputError> {
        let i = match self.integer() {
            Ok(i) => i,
            Err(_) if self.value.is_number() => {
                return Err(self.error("金额应为以元为单位的非负整数"));
            }
            Err(e) => return Err(e),
        };
        Yuan::new(i).map_err(|e| self.error(format!("{e}（实际为{i}）")))
    }

    /// The node as a finite number in `min..=max`.
    pub(crate) fn number_in(&self, min: f64, max: f64) -> Result<f64, InputError> {
        let Value::Number(n) = self.value else {
            return Err(self.wrong_type(&format!("{min}–{max} 之间的数字")));
        };
        match n.as_f64() {
            Some(f) if f.is_finite() && (min..=max).contains(&f) => Ok(f),
            _ => Err(self.error(format!("应为 {min}–{max} 之间的数字，实际为{n}"))),
        }
    }

    /// The node as a finite number in `0..=1`.
    pub(crate) fn fraction(&self) -> Result<f64, InputError> {
        let Value::Number(n) = self.value else {
            return Err(self.wrong_type("0–1 之间的数字"));
        };
        match n.as_f64() {
            Some(f) if f.is_finite() && (0.0..=1.0).contains(&f) => Ok(f),
            _ => Err(self.error(format!("应为 0–1 之间的数字，实际为{n}"))),
        }
    }
}

impl<'a> Obj<'a> {
    /// Path of a field of this object.
    pub(crate) fn field_path(&self, key: &str) -> String {
        child_path(&self.path, key)
    }

    /// The fields in document order.
    pub(crate) fn entries(&self) -> impl Iterator<Item = (&'a String, &'a Value)> {
        self.map.iter()
    }

    /// A required, non-null field; `f` reads it at its path.
    pub(crate) fn req<T>(
        &self,
        key: &str,
        f: impl FnOnce(Node<'_>) -> Result<T, InputError>,
    ) -> Result<T, InputError> {
        let path = self.field_path(key);
        match self.map.get(key) {
            None => Err(InputError::new(path, "缺少必填字段")),
            Some(Value::Null) => Err(InputError::new(path, "不能为 null")),
            Some(value) => f(Node::new(value, &path)),
        }
    }

    /// A nullable field: absent or `null` gives `None`; otherwise `f` reads it at its path.
    pub(crate) fn opt<T>(
        &self,
        key: &str,
        f: impl FnOnce(Node<'_>) -> Result<T, InputError>,
    ) -> Result<Option<T>, InputError> {
        let path = self.field_path(key);
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => f(Node::new(value, &path)).map(Some),
        }
    }

    /// A required array whose elements `f` reads, each at `key[i]`.
    pub(crate) fn list<T>(
        &self,
        key: &str,
        mut f: impl FnMut(Node<'_>) -> Result<T, InputError>,
    ) -> Result<Vec<T>, InputError> {
        self.req(key, |node| {
            node.array()?
                .iter()
                .map(|(path, value)| f(Node::new(value, path)))
                .collect()
        })
    }

    /// A required object field read by `f`.
    pub(crate) fn obj<T>(
        &self,
        key: &str,
        f: impl FnOnce(&Obj<'_>) -> Result<T, InputError>,
    ) -> Result<T, InputError> {
        self.req(key, |node| f(&node.object()?))
    }

    /// A nullable object field read by `f`.
    pub(crate) fn opt_obj<T>(
        &self,
        key: &str,
        f: impl FnOnce(&Obj<'_>) -> Result<T, InputError>,
    ) -> Result<Option<T>, InputError> {
        self.opt(key, |node| f(&node.object()?))
    }

    /// A required string.
    pub(crate) fn str(&self, key: &str) -> Result<String, InputError> {
        self.req(key, |n| n.non_empty_str().map(str::to_owned))
    }

    /// A required boolean.
    pub(crate) fn bool(&self, key: &str) -> Result<bool, InputError> {
        self.req(key, |n| n.bool())
    }

    /// A required date.
    pub(crate) fn date(&self, key: &str) -> Result<NaiveDate, InputError> {
        self.req(key, |n| n.date())
    }

    /// A nullable date.
    pub(crate) fn opt_date(&self, key: &str) -> Result<Option<NaiveDate>, InputError> {
        self.opt(key, |n| n.date())
    }

    /// A required code.
    pub(crate) fn code<T: CodeEnum>(&self, key: &str) -> Result<T, InputError> {
        self.req(key, |n| n.code())
    }

    /// A nullable code.
    pub(crate) fn opt_code<T: CodeEnum>(&self, key: &str) -> Result<Option<T>, InputError> {
        self.opt(key, |n| n.code())
    }

    /// A required non-negative count.
    pub(crate) fn count(&self, key: &str) -> Result<u32, InputError> {
        self.req(key, |n| n.count())
    }

    /// A required amount in yuan.
    pub(crate) fn yuan(&self, key: &str) -> Result<Yuan, InputError> {
        self.req(key, |n| n.yuan())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj_of(v: &Value) -> Obj<'_> {
        Node::new(v, "platform").object().expect("object")
    }

    #[test]
    fn paths_name_nested_fields() {
        let v = json!({"checklist": {"items": -1}});
        let o = obj_of(&v);
        let err = o
            .obj("checklist", |c| c.count("items"))
            .expect_err("negative");
        assert_eq!(err.field, "platform.checklist.items");
        assert!(err.message.contains("不能为负数"));
    }

    #[test]
    fn array_elements_are_indexed() {
        let v = json!({"xs": [1, "a"]});
        let err = obj_of(&v)
            .list("xs", |n| n.count())
            .expect_err("string in list");
        assert_eq!(err.field, "platform.xs[1]");
    }

    #[test]
    fn missing_and_null_are_distinguished() {
        let v = json!({"a": null});
        assert_eq!(
            obj_of(&v).bool("a").expect_err("null").message,
            "不能为 null"
        );
        assert_eq!(
            obj_of(&v).bool("b").expect_err("missing").message,
            "缺少必填字段"
        );
        assert_eq!(obj_of(&v).opt_date("a"), Ok(None));
        assert_eq!(obj_of(&v).opt_date("b"), Ok(None));
    }

    #[test]
    fn integers_are_strict() {
        for (v, ok) in [
            (json!(3), true),
            (json!(3.0), false),
            (json!(2.5), false),
            (json!("3"), false),
            (json!(u64::MAX), false),
        ] {
            assert_eq!(Node::new(&v, "x").integer().is_ok(), ok, "{v}");
        }
    }

    #[test]
    fn money_refuses_fractions_and_negatives() {
        let half = json!(10.5);
        assert!(
            Node::new(&half, "m")
                .yuan()
                .expect_err("fraction")
                .message
                .contains("整数")
        );
        let neg = json!(-1);
        assert!(
            Node::new(&neg, "m")
                .yuan()
                .expect_err("neg")
                .message
                .contains("不能为负数")
        );
    }

    #[test]
    fn fractions_are_bounded() {
        assert_eq!(Node::new(&json!(0.6), "f").fraction(), Ok(0.6));
        assert!(Node::new(&json!(1.01), "f").fraction().is_err());
        assert!(Node::new(&json!(-0.1), "f").fraction().is_err());
    }
}
