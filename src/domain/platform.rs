//! A platform's identity: the enums of PRODUCT.md's glossary, the platform code, and the
//! registry form's validation.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::uscc::Uscc;
use super::validation::FieldErrors;

code_enum! {
    /// 功能定位 (NT10 二(一)).
    Category {
        StrategicTask = "strategic_task" / "战略任务类",
        IndustrialTransformation = "industrial_transformation" / "产业转化类",
        TechnicalService = "technical_service" / "技术服务类",
        Other = "other" / "其他平台类",
    }
}

code_enum! {
    /// Lifecycle stage (NT10 三(一)); the transitions between them are in `lifecycle`.
    Stage {
        /// Being set up; not yet approved.
        Registration = "registration" / "设立登记",
        /// Approved and running the annual cycle.
        Operating = "operating" / "运行中",
        /// A rectification case is open and awaits a 退/转/并/留 decision.
        Rectifying = "rectifying" / "退出整改",
        /// 退. Terminal.
        Exited = "exited" / "已退出",
        /// 转. Terminal: lives on under another category or as an enterprise-led platform.
        Converted = "converted" / "已转型",
        /// 并. Terminal: merged into another platform.
        Merged = "merged" / "已合并",
    }
}

impl Stage {
    /// "Operating" in the policy rules' sense: `operating` or `rectifying`.
    pub fn is_operating(self) -> bool {
        matches!(self, Stage::Operating | Stage::Rectifying)
    }

    /// Exited, converted or merged: no transition leaves it and no compliance rule applies.
    pub fn is_terminal(self) -> bool {
        matches!(self, Stage::Exited | Stage::Converted | Stage::Merged)
    }
}

code_enum! {
    /// Who co-builds and funds the platform.
    Level {
        City = "city" / "市级",
        County = "county" / "县级",
        CityCounty = "city_county" / "市县共建",
    }
}

code_enum! {
    /// 六大千亿产业集群.
    Cluster {
        MarineEngineering = "marine_engineering" / "船舶海工",
        HighEndTextiles = "high_end_textiles" / "高端纺织",
        HighEndEquipment = "high_end_equipment" / "高端装备",
        NextGenIt = "next_gen_it" / "新一代信息技术",
        NewMaterials = "new_materials" / "新材料",
        NewEnergy = "new_energy" / "新能源",
    }
}

code_enum! {
    LegalForm {
        PublicInstitution = "public_institution" / "事业单位",
        PrivateNonEnterprise = "private_non_enterprise" / "民办非企业单位",
        Enterprise = "enterprise" / "企业",
        InternalUnit = "internal_unit" / "非独立法人（依托单位内设）",
    }
}

code_enum! {
    /// The kind of a decision body (NT10 三(一)).
    DecisionBodyKind {
        Council = "council" / "理事会",
        Board = "board" / "董事会",
        ManagementCommittee = "management_committee" / "管委会",
    }
}

/// A 理事会/董事会/管委会 as recorded for the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionBody {
    pub kind: DecisionBodyKind,
    pub members: u32,
    /// Whether a chair (负责人) is appointed.
    pub has_chair: bool,
}

impl DecisionBody {
    /// The minimum membership by default (POLICY-RULES.md `REG-DECISION-BODY`, parameter `min_members`).
    pub const MIN_MEMBERS: u32 = 3;

    /// A body counts with at least `min_members` members and a chair.
    pub fn qualifies(&self, min_members: u32) -> bool {
        self.members >= min_members && self.has_chair
    }
}

/// A platform code such as `NT-2021-007`: 3–32 characters of A–Z, 0–9 and `-`,
/// starting with a letter. Input is trimmed and upper-cased.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlatformCode(String);

impl PlatformCode {
    pub fn parse(input: &str) -> Result<PlatformCode, &'static str> {
        let code = input.trim().to_ascii_uppercase();
        if code.is_empty() {
            return Err("请填写平台编号");
        }
        let valid_chars = code
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-');
        if !(3..=32).contains(&code.len())
            || !valid_chars
            || !code.starts_with(|c: char| c.is_ascii_uppercase())
        {
            return Err("平台编号须为3–32位大写字母、数字或连字符，以字母开头，如 NT-2021-007");
        }
        Ok(PlatformCode(code))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a jurisdiction is, as far as the registry form cares.
#[derive(Debug, Clone, Copy)]
pub struct JurisdictionRef {
    pub id: i32,
    pub is_city: bool,
}

/// The registry form as typed (everything a string, so nothing is lost on error).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PlatformFields {
    pub code: String,
    pub name: String,
    pub jurisdiction_id: String,
    pub level: String,
    pub category: String,
    pub industry_cluster: String,
    pub legal_form: String,
    pub co_builders: String,
    pub construction_start: String,
    pub construction_end: String,
    pub first_support_end: String,
    /// The platform's own unified social credit code (optional: a 非独立法人 has none).
    pub uscc: String,
}

/// A validated registry entry. Stage, id and version are never taken from a form.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlatformDraft {
    pub code: PlatformCode,
    pub name: String,
    pub jurisdiction_id: i32,
    pub level: Level,
    pub category: Option<Category>,
    pub industry_cluster: Option<Cluster>,
    pub legal_form: LegalForm,
    pub co_builders: String,
    pub construction_start: Option<NaiveDate>,
    pub construction_end: Option<NaiveDate>,
    pub first_support_end: Option<NaiveDate>,
    pub uscc: Option<Uscc>,
}

fn parse_date(errors: &mut FieldErrors, field: &'static str, input: &str) -> Option<NaiveDate> {
    let input = input.trim();
    if input.is_empty() {
        return None;
    }
    match NaiveDate::parse_from_str(input, "%Y-%m-%d") {
        Ok(d) if (2000..=2100).contains(&chrono::Datelike::year(&d)) => Some(d),
        _ => {
            errors.add(
                field,
                "日期格式应为年-月-日（如 2026-03-31）（2000–2100年）",
            );
            None
        }
    }
}

fn parse_optional<T>(
    errors: &mut FieldErrors,
    field: &'static str,
    input: &str,
    parse: fn(&str) -> Option<T>,
) -> Option<T> {
    let input = input.trim();
    if input.is_empty() {
        return None;
    }
    let value = parse(input);
    if value.is_none() {
        errors.add(field, "请从列表中选择");
    }
    value
}

impl PlatformFields {
    /// Validates every field at once. `allowed` are the jurisdictions this user may
    /// register platforms in (county staff: their own county only).
    pub fn validate(&self, allowed: &[JurisdictionRef]) -> Result<PlatformDraft, FieldErrors> {
        let mut errors = FieldErrors::default();

        let code = PlatformCode::parse(&self.code)
            .map_err(|m| errors.add("code", m))
            .ok();

        let name = self.name.trim().to_string();
        match name.chars().count() {
            0 => errors.add("name", "请填写平台名称"),
            1 => errors.add("name", "平台名称至少2个字"),
            n if n > 100 => errors.add("name", "平台名称不能超过100个字"),
            _ => {}
        }

        let jurisdiction = match self.jurisdiction_id.trim().parse::<i32>() {
            Err(_) if self.jurisdiction_id.trim().is_empty() => {
                errors.add("jurisdiction_id", "请选择所属地区");
                None
            }
            Err(_) => {
                errors.add("jurisdiction_id", "请从列表中选择地区");
                None
            }
            Ok(id) => match allowed.iter().find(|j| j.id == id) {
                Some(j) => Some(*j),
                None => {
                    errors.add("jurisdiction_id", "您无权在该地区登记平台");
                    None
                }
            },
        };

        let level = match Level::parse(self.level.trim()) {
            Some(level) => Some(level),
            None => {
                errors.add("level", "请选择平台层级");
                None
            }
        };
        if let (Some(level), Some(j)) = (level, jurisdiction)
            && level != Level::City
            && j.is_city
        {
            errors.add("level", "县级或市县共建平台须归属到区县");
        }

        let category = parse_optional(&mut errors, "category", &self.category, Category::parse);
        let industry_cluster = parse_optional(
            &mut errors,
            "industry_cluster",
            &self.industry_cluster,
            Cluster::parse,
        );
        let legal_form = match LegalForm::parse(self.legal_form.trim()) {
            Some(form) => Some(form),
            None => {
                errors.add("legal_form", "请选择法人形式");
                None
            }
        };

        let co_builders = self.co_builders.trim().to_string();
        if co_builders.chars().count() > 500 {
            errors.add("co_builders", "共建单位不能超过500个字");
        }

        let construction_start =
            parse_date(&mut errors, "construction_start", &self.construction_start);
        let construction_end = parse_date(&mut errors, "construction_end", &self.construction_end);
        if let (Some(start), Some(end)) = (construction_start, construction_end)
            && end < start
        {
            errors.add("construction_end", "建设期结束日期不能早于开始日期");
        }
        let first_support_end =
            parse_date(&mut errors, "first_support_end", &self.first_support_end);
        if first_support_end.is_some() && level == Some(Level::City) {
            errors.add("first_support_end", "首轮支持期仅适用于县级或市县共建平台");
        }

        // Typed codes are trimmed and upper-cased; the check digit is GB 32100-2015's.
        let code_text = self.uscc.trim().to_ascii_uppercase();
        let uscc = if code_text.is_empty() {
            None
        } else {
            Uscc::parse(&code_text)
                .map_err(|e| errors.add("uscc", e.to_string()))
                .ok()
        };

        match (code, level, legal_form, jurisdiction) {
            (Some(code), Some(level), Some(legal_form), Some(j)) if errors.is_empty() => {
                Ok(PlatformDraft {
                    code,
                    name,
                    jurisdiction_id: j.id,
                    level,
                    category,
                    industry_cluster,
                    legal_form,
                    co_builders,
                    construction_start,
                    construction_end,
                    first_support_end,
                    uscc,
                })
            }
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CITY: JurisdictionRef = JurisdictionRef {
        id: 1,
        is_city: true,
    };
    const COUNTY: JurisdictionRef = JurisdictionRef {
        id: 2,
        is_city: false,
    };

    fn valid() -> PlatformFields {
        PlatformFields {
            code: " nt-2025-001 ".into(),
            name: "示例新材料研究院".into(),
            jurisdiction_id: "2".into(),
            level: "county".into(),
            category: "technical_service".into(),
            industry_cluster: "new_materials".into(),
            legal_form: "public_institution".into(),
            co_builders: "某大学".into(),
            construction_start: "2025-01-01".into(),
            construction_end: "2027-12-31".into(),
            first_support_end: "2028-12-31".into(),
            uscc: String::new(),
        }
    }

    #[test]
    fn the_platforms_own_uscc_is_optional_and_checked() {
        assert_eq!(valid().validate(&[COUNTY]).unwrap().uscc, None);
        let fields = PlatformFields {
            uscc: " 91320600ma1m9qx7k8 ".into(),
            ..valid()
        };
        let draft = fields.validate(&[COUNTY]).unwrap();
        assert_eq!(
            draft.uscc.as_ref().map(Uscc::as_str),
            Some("91320600MA1M9QX7K8")
        );
        let fields = PlatformFields {
            uscc: "91320600MA1M9QX7K9".into(),
            ..valid()
        };
        assert!(
            fields
                .validate(&[COUNTY])
                .unwrap_err()
                .get("uscc")
                .contains("校验位")
        );
    }

    #[test]
    fn accepts_a_valid_form_and_normalises_the_code() {
        let draft = valid().validate(&[CITY, COUNTY]).unwrap();
        assert_eq!(draft.code.as_str(), "NT-2025-001");
        assert_eq!(draft.level, Level::County);
        assert_eq!(draft.category, Some(Category::TechnicalService));
    }

    #[test]
    fn category_and_cluster_are_optional() {
        let fields = PlatformFields {
            category: "".into(),
            industry_cluster: "".into(),
            ..valid()
        };
        let draft = fields.validate(&[COUNTY]).unwrap();
        assert_eq!(draft.category, None);
        assert_eq!(draft.industry_cluster, None);
    }

    #[test]
    fn reports_every_bad_field_at_once() {
        let fields = PlatformFields {
            code: "编号".into(),
            name: "".into(),
            jurisdiction_id: "".into(),
            level: "province".into(),
            category: "space".into(),
            industry_cluster: "".into(),
            legal_form: "".into(),
            co_builders: "".into(),
            construction_start: "2025-13-01".into(),
            construction_end: "".into(),
            first_support_end: "".into(),
            uscc: "9132".into(),
        };
        let errors = fields.validate(&[CITY]).unwrap_err();
        for field in [
            "code",
            "name",
            "jurisdiction_id",
            "level",
            "category",
            "legal_form",
            "construction_start",
            "uscc",
        ] {
            assert!(errors.has(field), "{field} should be reported");
        }
        assert_eq!(errors.len(), 8);
    }

    #[test]
    fn construction_end_not_before_start() {
        let fields = PlatformFields {
            construction_end: "2024-12-31".into(),
            ..valid()
        };
        let errors = fields.validate(&[COUNTY]).unwrap_err();
        assert_eq!(
            errors.get("construction_end"),
            "建设期结束日期不能早于开始日期"
        );
    }

    #[test]
    fn county_staff_cannot_register_elsewhere() {
        let errors = valid().validate(&[CITY]).unwrap_err();
        assert_eq!(errors.get("jurisdiction_id"), "您无权在该地区登记平台");
    }

    #[test]
    fn county_level_needs_a_county() {
        let fields = PlatformFields {
            jurisdiction_id: "1".into(),
            ..valid()
        };
        assert!(fields.validate(&[CITY]).unwrap_err().has("level"));
        let fields = PlatformFields {
            level: "city".into(),
            ..valid()
        };
        assert!(
            fields
                .validate(&[COUNTY])
                .unwrap_err()
                .has("first_support_end")
        );
    }

    #[test]
    fn terminal_and_operating_stages() {
        let terminal: Vec<_> = Stage::ALL.iter().filter(|s| s.is_terminal()).collect();
        assert_eq!(
            terminal,
            [&Stage::Exited, &Stage::Converted, &Stage::Merged]
        );
        let operating: Vec<_> = Stage::ALL.iter().filter(|s| s.is_operating()).collect();
        assert_eq!(operating, [&Stage::Operating, &Stage::Rectifying]);
    }

    #[test]
    fn a_decision_body_needs_members_and_a_chair() {
        let body = |members, has_chair| DecisionBody {
            kind: DecisionBodyKind::Council,
            members,
            has_chair,
        };
        assert!(body(3, true).qualifies(3));
        assert!(!body(2, true).qualifies(3));
        assert!(!body(9, false).qualifies(3));
    }

    #[test]
    fn platform_codes() {
        assert!(PlatformCode::parse("NT-2021-007").is_ok());
        assert!(PlatformCode::parse("N1").is_err());
        assert!(PlatformCode::parse("1NT-001").is_err());
        assert!(PlatformCode::parse("NT 2021").is_err());
        assert!(PlatformCode::parse(&"A".repeat(33)).is_err());
    }
}
