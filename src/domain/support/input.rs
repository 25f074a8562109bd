//! The inputs of the support computation: policy packs and a platform's `support` record, with their
//! parsing from a snapshot (field-exact errors, like the rest of the snapshot).

use serde::Serialize;

use crate::domain::compliance::InputError;
use crate::domain::compliance::json::{Node, Obj};
use crate::domain::money::Yuan;

code_enum! {
    /// A policy pack: one policy's support programmes.
    Pack {
        /// 南通 通政办发〔2025〕10号 (in force).
        Nt10 = "NT10" / "南通市科创平台工作指引（通政办发〔2025〕10号）",
        /// The provincial list: a draft (征求意见稿), never shown as in force.
        Js = "JS" / "江苏省支持政策清单（征求意见稿）",
        /// Nanjing's measures: a reference pack, off by default.
        Nj = "NJ" / "南京市科技成果转化措施（参考）",
    }
}

impl Pack {
    /// The packs a deployment enables unless told otherwise: Nantong's and the province's.
    pub const DEFAULT: &'static [Pack] = &[Pack::Nt10, Pack::Js];

    /// Whether the pack's policy is only a draft (征求意见稿).
    pub fn is_draft(self) -> bool {
        self == Pack::Js
    }
}

code_enum! {
    /// A recognition (认定) that opens a support programme.
    Recognition {
        JsProvincialPocCenter = "js_provincial_poc_center" / "省级概念验证中心",
        SocialTechTransferAgency = "social_tech_transfer_agency" / "社会化技术转移机构",
        NewRndInstitution = "new_rnd_institution" / "新型研发机构",
        NjCityPocCenter = "nj_city_poc_center" / "南京市级概念验证中心",
        NjPilotPlatform = "nj_pilot_platform" / "南京市中试平台",
        LedPublicServicePlatform = "led_public_service_platform" / "牵头建成公共技术服务平台",
        JitriNewInstitute = "jitri_new_institute" / "新设省产研院专业研究所",
    }
}

/// What a platform brings to the support programmes (`platform.support`); every field defaults to 0 / empty.
/// Yearly sums are for year L (the year before `as_of`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Support {
    pub recognitions: Vec<Recognition>,
    /// 技术交易额 brokered in year L.
    pub tech_transaction_yuan: Yuan,
    /// Per enterprise-led 产学研 project: the money actually received.
    pub enterprise_project_receipts_yuan: Vec<Yuan>,
    /// 协同企业联合攻关 新增投入 in year L.
    pub joint_rnd_new_investment_yuan: Yuan,
    /// 概念验证中心 建设投入.
    pub poc_build_investment_yuan: Yuan,
    /// 中试平台 建设投入.
    pub pilot_build_investment_yuan: Yuan,
    /// Results first equity-invested by a market fund.
    pub fund_first_equity_results: u32,
}

impl Support {
    /// Whether the platform holds this recognition.
    pub fn has(&self, recognition: Recognition) -> bool {
        self.recognitions.contains(&recognition)
    }
}

/// Reads `platform.support` (optional; absent or null means all zero).
pub(crate) fn parse_support(platform: &Obj<'_>) -> Result<Support, InputError> {
    Ok(platform
        .opt_obj("support", |o| {
            let yuan = |key: &str| -> Result<Yuan, InputError> {
                Ok(o.opt(key, |n| n.yuan())?.unwrap_or_default())
            };
            Ok(Support {
                recognitions: o
                    .opt("recognitions", |n| list(n, |e| e.code()))?
                    .unwrap_or_default(),
                tech_transaction_yuan: yuan("tech_transaction_yuan")?,
                enterprise_project_receipts_yuan: o
                    .opt("enterprise_project_receipts_yuan", |n| {
                        list(n, |e| e.yuan())
                    })?
                    .unwrap_or_default(),
                joint_rnd_new_investment_yuan: yuan("joint_rnd_new_investment_yuan")?,
                poc_build_investment_yuan: yuan("poc_build_investment_yuan")?,
                pilot_build_investment_yuan: yuan("pilot_build_investment_yuan")?,
                fund_first_equity_results: o
                    .opt("fund_first_equity_results", |n| n.count())?
                    .unwrap_or(0),
            })
        })?
        .unwrap_or_default())
}

/// Reads the optional top-level `packs` (default [`Pack::DEFAULT`]); a pack listed twice counts once.
pub(crate) fn parse_packs(root: &Obj<'_>) -> Result<Vec<Pack>, InputError> {
    let listed = root.opt("packs", |n| list(n, |e| e.code::<Pack>()))?;
    Ok(match listed {
        None => Pack::DEFAULT.to_vec(),
        Some(packs) => Pack::ALL
            .iter()
            .copied()
            .filter(|p| packs.contains(p))
            .collect(),
    })
}

fn list<T>(
    node: Node<'_>,
    mut f: impl FnMut(Node<'_>) -> Result<T, InputError>,
) -> Result<Vec<T>, InputError> {
    node.array()?
        .iter()
        .map(|(path, value)| f(Node::new(value, path)))
        .collect()
}
