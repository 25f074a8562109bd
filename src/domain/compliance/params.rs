//! Rule parameters.
//!
//! Each parameter is declared once, typed, as a [`Param`] constant in the catalogue; its key is
//! `"<RULE-ID>.<name>"` (`"MKT-BREAK-EVEN.transition_months"`, `"EVAL-FILING.deadline"`). [`Params`] holds overrides
//! (from a snapshot's `params` object, or from the database) and resolves each parameter to its override or default.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Serialize, Serializer};
use serde_json::Value;

use super::catalogue::rules;
use super::error::InputError;
use super::json::Node;
use crate::domain::calendar::MonthDay;
use crate::domain::money::Yuan;
use crate::domain::support::programmes;

/// A count (members, channels, tasks); 0–10000.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Count(pub u32);

/// A number of days; 0–36600.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Days(pub u32);

/// A number of calendar months; 0–1200.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Months(pub u32);

/// A whole percentage; 0–100.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Percent(pub u32);

/// A fraction; 0–1.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd, Serialize)]
#[serde(transparent)]
pub struct Fraction(pub f64);

/// A multiplier such as a funding coefficient (1.2); 0–10.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd, Serialize)]
#[serde(transparent)]
pub struct Coefficient(pub f64);

const MAX_COUNT: i64 = 10_000;
const MAX_DAYS: i64 = 36_600;
const MAX_MONTHS: i64 = 1_200;
const MAX_PERCENT: i64 = 100;
const MAX_COEFFICIENT: f64 = 10.0;

/// A parameter value of any kind; in JSON a number, or `"MM-DD"` for a month-day.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ParamValue {
    Count(Count),
    Days(Days),
    Months(Months),
    Percent(Percent),
    Yuan(Yuan),
    Fraction(Fraction),
    Coefficient(Coefficient),
    MonthDay(MonthDay),
}

impl ParamValue {
    /// What kind of value this is, in Chinese, with its range.
    pub fn kind_zh(self) -> &'static str {
        match self {
            ParamValue::Count(_) => "个数（0–10000 的整数）",
            ParamValue::Days(_) => "天数（0–36600 的整数）",
            ParamValue::Months(_) => "月数（0–1200 的整数）",
            ParamValue::Percent(_) => "百分比（0–100 的整数）",
            ParamValue::Yuan(_) => "金额（元，非负整数）",
            ParamValue::Fraction(_) => "比例（0–1 之间的数）",
            ParamValue::Coefficient(_) => "系数（0–10 之间的数）",
            ParamValue::MonthDay(_) => "月-日（如 03-31）",
        }
    }

    /// Reads `node` as a value of the same kind as `self`, checking its range.
    fn parse_same_kind(self, node: Node<'_>) -> Result<ParamValue, InputError> {
        let bounded = |max: i64| -> Result<u32, InputError> {
            let i = node.integer_in(0, max)?;
            u32::try_from(i).map_err(|_| node.error("数值超出范围"))
        };
        Ok(match self {
            ParamValue::Count(_) => ParamValue::Count(Count(bounded(MAX_COUNT)?)),
            ParamValue::Days(_) => ParamValue::Days(Days(bounded(MAX_DAYS)?)),
            ParamValue::Months(_) => ParamValue::Months(Months(bounded(MAX_MONTHS)?)),
            ParamValue::Percent(_) => ParamValue::Percent(Percent(bounded(MAX_PERCENT)?)),
            ParamValue::Yuan(_) => ParamValue::Yuan(node.yuan()?),
            ParamValue::Fraction(_) => ParamValue::Fraction(Fraction(node.fraction()?)),
            ParamValue::Coefficient(_) => {
                ParamValue::Coefficient(Coefficient(node.number_in(0.0, MAX_COEFFICIENT)?))
            }
            ParamValue::MonthDay(_) => ParamValue::MonthDay(
                MonthDay::parse(node.str()?).map_err(|e| node.error(e.to_string()))?,
            ),
        })
    }
}

impl fmt::Display for ParamValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamValue::Count(Count(n))
            | ParamValue::Days(Days(n))
            | ParamValue::Months(Months(n))
            | ParamValue::Percent(Percent(n)) => write!(f, "{n}"),
            ParamValue::Yuan(y) => write!(f, "{}", y.get()),
            ParamValue::Fraction(Fraction(x)) | ParamValue::Coefficient(Coefficient(x)) => {
                write!(f, "{x}")
            }
            ParamValue::MonthDay(md) => write!(f, "{md}"),
        }
    }
}

/// A parameter as listed in the rule catalogue.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct ParamDef {
    /// Name within its rule (`transition_months`).
    pub name: &'static str,
    /// Value used unless overridden.
    pub default: ParamValue,
    /// What it means, in Chinese.
    pub description_zh: &'static str,
}

/// A typed parameter of a rule: the single declaration of its key, default and meaning.
#[derive(Clone, Copy, Debug)]
pub struct Param<T> {
    pub rule: &'static str,
    pub name: &'static str,
    pub default: T,
    pub description_zh: &'static str,
}

impl<T> Param<T> {
    /// The key, `"<RULE-ID>.<name>"`.
    pub fn key(&self) -> String {
        format!("{}.{}", self.rule, self.name)
    }
}

/// A Rust type a parameter can have.
pub trait ParamType: Copy {
    /// The value if it is of this kind.
    fn from_value(value: ParamValue) -> Option<Self>;
}

macro_rules! param_kind {
    ($ty:ident) => {
        impl ParamType for $ty {
            fn from_value(value: ParamValue) -> Option<Self> {
                match value {
                    ParamValue::$ty(x) => Some(x),
                    _ => None,
                }
            }
        }

        impl Param<$ty> {
            /// The catalogue entry for this parameter.
            pub const fn def(&self) -> ParamDef {
                ParamDef {
                    name: self.name,
                    default: ParamValue::$ty(self.default),
                    description_zh: self.description_zh,
                }
            }
        }
    };
}

param_kind!(Count);
param_kind!(Days);
param_kind!(Months);
param_kind!(Percent);
param_kind!(Yuan);
param_kind!(Fraction);
param_kind!(Coefficient);
param_kind!(MonthDay);

/// Identifies a catalogue parameter: rule ID and name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ParamKey {
    pub rule: &'static str,
    pub name: &'static str,
}

impl ParamKey {
    /// Looks up `"<RULE-ID>.<name>"` in the rule catalogue, then `"<PROGRAMME-ID>.<name>"` in the
    /// support programme catalogue (SUPPORT-RULES.md): both share one namespace.
    pub fn lookup(key: &str) -> Option<(ParamKey, &'static ParamDef)> {
        let (rule_id, name) = key.split_once('.')?;
        let rule_params = rules()
            .iter()
            .filter(|r| r.id == rule_id)
            .flat_map(|r| r.params.iter().map(move |p| (r.id, p)));
        let programme_params = programmes()
            .iter()
            .filter(|p| p.id == rule_id)
            .flat_map(|p| p.params.iter().map(move |d| (p.id, d)));
        rule_params
            .chain(programme_params)
            .find(|(_, p)| p.name == name)
            .map(|(rule, def)| {
                (
                    ParamKey {
                        rule,
                        name: def.name,
                    },
                    def,
                )
            })
    }
}

impl fmt::Display for ParamKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.rule, self.name)
    }
}

/// A parameter with its effective value, for listing.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct ResolvedParam {
    #[serde(serialize_with = "serialize_display")]
    pub key: ParamKey,
    pub value: ParamValue,
    pub default: ParamValue,
    pub overridden: bool,
    pub description_zh: &'static str,
}

fn serialize_display<S: Serializer>(key: &ParamKey, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(key)
}

/// Parameter overrides over the catalogue defaults.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Params {
    overrides: BTreeMap<ParamKey, ParamValue>,
}

/// The path under which parameter errors are reported.
const PARAMS_PATH: &str = "params";

impl Params {
    /// No overrides: every parameter at its default.
    pub fn new() -> Params {
        Params::default()
    }

    /// Overrides from a JSON object `{"<RULE-ID>.<name>": value, …}`; errors name `params.<key>`.
    pub fn from_json(value: &Value) -> Result<Params, InputError> {
        Params::from_json_node(Node::new(value, PARAMS_PATH))
    }

    /// Overrides from the object at `node`.
    pub(crate) fn from_json_node(node: Node<'_>) -> Result<Params, InputError> {
        let obj = node.object()?;
        let mut params = Params::new();
        for (key, value) in obj.entries() {
            let path = obj.field_path(key);
            params.insert_json(key, Node::new(value, &path))?;
        }
        Ok(params)
    }

    /// Overrides one parameter from a JSON value; errors name `params.<key>`.
    pub fn set_json(&mut self, key: &str, value: &Value) -> Result<(), InputError> {
        let path = format!("{PARAMS_PATH}.{key}");
        self.insert_json(key, Node::new(value, &path))
    }

    /// Overrides one parameter; the value must be of the parameter's kind and in range.
    pub fn set(&mut self, key: &str, value: ParamValue) -> Result<(), InputError> {
        let json = serde_json::to_value(value).unwrap_or(Value::Null);
        self.set_json(key, &json)
    }

    fn insert_json(&mut self, key: &str, node: Node<'_>) -> Result<(), InputError> {
        let (key, def) = ParamKey::lookup(key).ok_or_else(|| {
            node.error(
                "未知参数（参数名应为“规则编号.参数名”或“支持项目编号.参数名”，如 MKT-BREAK-EVEN.transition_months、JS-TECH-TRANSFER.percent）",
            )
        })?;
        let value = def.default.parse_same_kind(node).map_err(|e| {
            InputError::new(
                e.field,
                format!("{}；该参数应为{}", e.message, def.default.kind_zh()),
            )
        })?;
        self.overrides.insert(key, value);
        Ok(())
    }

    /// These overrides with `top`'s applied over them (`top` wins).
    pub fn overlay(&self, top: &Params) -> Params {
        let mut overrides = self.overrides.clone();
        overrides.extend(top.overrides.iter().map(|(k, v)| (*k, *v)));
        Params { overrides }
    }

    /// The effective value of a typed parameter.
    pub fn get<T: ParamType>(&self, param: &Param<T>) -> T {
        self.overrides
            .get(&ParamKey {
                rule: param.rule,
                name: param.name,
            })
            .and_then(|v| T::from_value(*v))
            .unwrap_or(param.default)
    }

    /// The effective value of the parameter with this key, if it exists.
    pub fn value(&self, key: &str) -> Option<ParamValue> {
        let (key, def) = ParamKey::lookup(key)?;
        Some(self.overrides.get(&key).copied().unwrap_or(def.default))
    }

    /// The overrides, by key.
    pub fn overrides(&self) -> impl Iterator<Item = (ParamKey, ParamValue)> + '_ {
        self.overrides.iter().map(|(k, v)| (*k, *v))
    }

    /// Whether nothing is overridden.
    pub fn is_empty(&self) -> bool {
        self.overrides.is_empty()
    }

    /// Every rule parameter with its effective value, in catalogue order.
    pub fn resolved(&self) -> Vec<ResolvedParam> {
        self.resolve(
            rules()
                .iter()
                .flat_map(|r| r.params.iter().map(move |p| (r.id, p))),
        )
    }

    /// Every support programme parameter with its effective value, in programme order.
    pub fn resolved_programmes(&self) -> Vec<ResolvedParam> {
        self.resolve(
            programmes()
                .iter()
                .flat_map(|p| p.params.iter().map(move |d| (p.id, d))),
        )
    }

    fn resolve<'a>(
        &self,
        defs: impl Iterator<Item = (&'static str, &'a ParamDef)>,
    ) -> Vec<ResolvedParam> {
        defs.map(|(rule, def)| {
            let key = ParamKey {
                rule,
                name: def.name,
            };
            let value = self.overrides.get(&key).copied();
            ResolvedParam {
                key,
                value: value.unwrap_or(def.default),
                default: def.default,
                overridden: value.is_some(),
                description_zh: def.description_zh,
            }
        })
        .collect()
    }
}

impl Serialize for Params {
    /// The overrides as `{"<RULE-ID>.<name>": value}`.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.overrides.iter().map(|(k, v)| (k.to_string(), v)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::compliance::catalogue::{self, ALL_PARAMS};
    use serde_json::json;

    #[test]
    fn every_catalogue_parameter_round_trips_its_default() {
        let mut params = Params::new();
        for r in rules() {
            for p in r.params {
                let key = format!("{}.{}", r.id, p.name);
                let json = serde_json::to_value(p.default).expect("serialize");
                params
                    .set_json(&key, &json)
                    .unwrap_or_else(|e| panic!("{key}: {e}"));
                assert_eq!(params.value(&key), Some(p.default), "{key}");
            }
        }
        assert_eq!(params.resolved().len(), ALL_PARAMS.len());
        assert!(
            params
                .resolved()
                .iter()
                .all(|p| p.overridden && p.value == p.default)
        );
    }

    #[test]
    fn typed_constants_match_the_catalogue() {
        for (rule, name, default) in ALL_PARAMS {
            let key = format!("{rule}.{name}");
            assert_eq!(Params::new().value(&key), Some(*default), "{key}");
        }
        let listed: usize = rules().iter().map(|r| r.params.len()).sum();
        assert_eq!(listed, ALL_PARAMS.len());
    }

    #[test]
    fn overrides_take_effect() {
        let params = Params::from_json(
            &json!({"MKT-BREAK-EVEN.transition_months": 30, "EVAL-FILING.deadline": "04-15"}),
        )
        .expect("valid");
        assert_eq!(
            params.get(&catalogue::BREAK_EVEN_TRANSITION_MONTHS),
            Months(30)
        );
        assert_eq!(
            params.get(&catalogue::FILING_DEADLINE),
            MonthDay::new(4, 15).expect("valid")
        );
        assert_eq!(params.get(&catalogue::BAN_MONTHS), Months(36));
        assert_eq!(
            serde_json::to_value(&params).expect("ser"),
            json!({"EVAL-FILING.deadline": "04-15", "MKT-BREAK-EVEN.transition_months": 30})
        );
    }

    #[test]
    fn unknown_key_is_refused_with_its_path() {
        let err = Params::from_json(&json!({"MKT-BREAK-EVEN.months": 30})).expect_err("unknown");
        assert_eq!(err.field, "params.MKT-BREAK-EVEN.months");
        assert!(err.message.contains("未知参数"));
        let err = Params::from_json(&json!({"nodot": 1})).expect_err("unknown");
        assert_eq!(err.field, "params.nodot");
    }

    #[test]
    fn wrong_type_or_range_is_refused_with_its_path() {
        for (key, value) in [
            ("MKT-BREAK-EVEN.transition_months", json!("24")),
            ("MKT-BREAK-EVEN.transition_months", json!(-1)),
            ("MKT-BREAK-EVEN.transition_months", json!(2.5)),
            ("MKT-CHANNELS.max_channel_percent", json!(101)),
            ("RECT-PROGRESS.min_target_completion", json!(1.5)),
            ("RECT-PROGRESS.min_target_completion", json!("0.6")),
            ("EVAL-FILING.deadline", json!("3-31")),
            ("EVAL-FILING.deadline", json!(331)),
            ("SHARE-INSTRUMENTS.min_value_yuan", json!(-100)),
        ] {
            let err = Params::from_json(&json!({ key: value })).expect_err(key);
            assert_eq!(err.field, format!("params.{key}"), "{value}");
            assert!(err.message.contains("该参数应为"), "{}", err.message);
        }
        let err = Params::from_json(&json!([1])).expect_err("not an object");
        assert_eq!(err.field, "params");
    }

    #[test]
    fn set_checks_kind() {
        let mut params = Params::new();
        assert!(
            params
                .set("INTEG-BAN.ban_months", ParamValue::Months(Months(24)))
                .is_ok()
        );
        assert_eq!(params.get(&catalogue::BAN_MONTHS), Months(24));
        let err = params
            .set(
                "INTEG-BAN.ban_months",
                ParamValue::MonthDay(MonthDay::new(1, 1).expect("valid")),
            )
            .expect_err("wrong kind");
        assert_eq!(err.field, "params.INTEG-BAN.ban_months");
        assert!(
            params
                .set(
                    "RECT-PROGRESS.min_target_completion",
                    ParamValue::Fraction(Fraction(f64::NAN))
                )
                .is_err()
        );
    }

    #[test]
    fn overlay_prefers_the_top_layer() {
        let db =
            Params::from_json(&json!({"INTEG-BAN.ban_months": 24, "MKT-CHANNELS.min_channels": 2}))
                .expect("valid");
        let snapshot = Params::from_json(&json!({"INTEG-BAN.ban_months": 12})).expect("valid");
        let merged = db.overlay(&snapshot);
        assert_eq!(merged.get(&catalogue::BAN_MONTHS), Months(12));
        assert_eq!(merged.get(&catalogue::CHANNELS_MIN), Count(2));
        assert_eq!(merged.overrides().count(), 2);
    }
}
