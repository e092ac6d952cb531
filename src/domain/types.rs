//! The clinic's records as values: patient, insurance declaration, visit, outage.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident = $text:literal / $ja:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name { $($(#[$vm])* #[serde(rename = $text)] $variant),+ }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The name used in JSON, the database and the command line.
            pub fn as_str(self) -> &'static str { match self { $($name::$variant => $text),+ } }
            /// The name staff read.
            pub fn ja(self) -> &'static str { match self { $($name::$variant => $ja),+ } }
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($text => Some($name::$variant),)+ _ => None }
            }
            /// All accepted spellings, for messages.
            pub fn choices() -> String {
                [$($text),+].join(" | ")
            }
            /// The choices as staff read them (Japanese messages never show the codes).
            pub fn choices_ja() -> String {
                [$($ja),+].join("・")
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(self.as_str()) }
        }
    };
}
pub(crate) use string_enum;

string_enum!(
    /// 性別
    Sex { Male = "male" / "男", Female = "female" / "女" }
);

string_enum!(
    /// 保険の種類. `Unknown` is the 申立書's 「わからない」 (the 不詳 path); `PublicOnly` has no
    /// health insurance at all, only 公費.
    InsuranceKind {
        Shaho = "shaho" / "社保",
        Kokuho = "kokuho" / "国保",
        Kouki = "kouki" / "後期高齢",
        /// 公費単独 (生活保護 and the like): no health insurance, the 公費 alone.
        PublicOnly = "public_only" / "公費単独",
        Unknown = "unknown" / "不明",
    }
);

string_enum!(
    /// 本人 / 家族 (被保険者 / 被扶養者)
    Relationship { Insured = "self" / "本人", Family = "family" / "家族" }
);

string_enum!(
    /// What the declared insurance rests on.
    Basis {
        /// 被保険者資格申立書
        SelfDeclaration = "self_declaration" / "申立書",
        /// A returning patient saying orally that nothing changed (counts as the 申立書).
        ReturningNoChange = "returning_no_change" / "再診・変更なし",
        /// マイナポータルの資格情報画面
        PortalScreen = "portal_screen" / "マイナポータル画面",
        /// 資格確認書 / 資格情報のお知らせ
        Certificate = "certificate" / "資格確認書等",
    }
);

string_enum!(
    /// Where a declaration's data came from.
    Source {
        Declared = "declared" / "申告",
        Verified = "verified" / "オンライン確認済",
        Manual = "manual" / "手入力（確認済）",
    }
);

string_enum!(
    /// The service an outage affects.
    Service {
        Qualification = "qualification" / "オンライン資格確認",
        Eprescription = "eprescription" / "電子処方箋",
    }
);

string_enum!(
    /// Who noticed the outage.
    Detection { Staff = "staff" / "職員が宣言", Probe = "probe" / "自動検知" }
);

string_enum!(
    /// How a queue entry was decided.
    QueueDecision {
        /// The clerk took the verified insurance.
        Verified = "verified" / "確認済みを採用",
        /// The clerk kept the declared insurance (with a reason).
        Declared = "declared" / "申告のまま",
        /// Not decided yet: something to check (stays open).
        FollowUp = "follow_up" / "要確認",
        /// The result of a manual lookup, typed in.
        Manual = "manual" / "手入力（照会結果）",
        /// Settled by the pass itself: the answer matched.
        Auto = "auto" / "自動確定（一致）",
        /// The visit was voided: nothing to claim.
        Voided = "voided" / "取消",
    }
);

string_enum!(
    /// Where a visit stands in the reconciliation queue.
    QueueState {
        /// Recorded while the line is down; waits for its return.
        /// (Staff read it as 照合待ち, as the banner counts it: one name for one thing.)
        Waiting = "waiting" / "照合待ち",
        /// The line is back: the next pass checks it.
        Due = "due" / "照合待ち",
        /// Checked; a person must decide.
        NeedsDecision = "needs_decision" / "要判断",
        /// Final: nothing more to do.
        Settled = "settled" / "確定",
    }
);

/// 氏名, カナ, 生年月日, 性別, 住所, 電話 — the card-face items of the 申立書.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatientDetails {
    pub name: String,
    pub kana: String,
    pub birth_date: NaiveDate,
    pub sex: Sex,
    pub address: String,
    pub phone: String,
}

/// One 公費: 公費負担者番号 and 公費受給者番号.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicFund {
    pub payer: String,
    pub recipient: String,
}

/// The insurance as declared (or later verified). Numbers are normalised half-width.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Insurance {
    pub kind: InsuranceKind,
    /// None on the 不詳 path.
    pub insurer_number: Option<String>,
    pub symbol: String,
    pub number: Option<String>,
    pub branch: String,
    pub relationship: Option<Relationship>,
    pub insurer_name: String,
    pub employer: String,
    pub copay_percent: u8,
    pub public_funds: Vec<PublicFund>,
}

impl Insurance {
    /// 不詳: no usable numbers; billed with the 7-fill. A 公費単独 patient has no numbers
    /// either, and is not 不詳: they are billed to the 公費.
    pub fn is_fushou(&self) -> bool {
        self.insurer_number.is_none() && !self.is_public_only()
    }

    /// 公費単独 (生活保護 and the like): no health insurance, the 公費 alone.
    pub fn is_public_only(&self) -> bool {
        self.kind == InsuranceKind::PublicOnly
    }

    /// The insurance in one line, the same wherever staff read it: 「社保 01130012 記号12-34
    /// 番号5678 枝番01」, or 「不詳（不明）」.
    pub fn summary_ja(&self) -> String {
        match (&self.insurer_number, &self.number) {
            (Some(insurer), Some(number)) => format!(
                "{} {}",
                self.kind.ja(),
                numbers_ja(insurer, &self.symbol, number, &self.branch)
            ),
            _ if self.is_public_only() => {
                let funds: Vec<String> =
                    self.public_funds.iter().map(PublicFund::numbers).collect();
                format!("公費単独 {}", funds.join(" / "))
            }
            _ => format!("不詳（{}）", self.kind.ja()),
        }
    }
}

impl PublicFund {
    /// 「12134015-1234566」: 負担者番号-受給者番号 (the payer alone when there is no recipient).
    pub fn numbers(&self) -> String {
        if self.recipient.is_empty() {
            self.payer.clone()
        } else {
            format!("{}-{}", self.payer, self.recipient)
        }
    }
}

/// 「01130012 記号12-34 番号5678 枝番01」: a set of insurance numbers as staff read them, for
/// the declared, the verified and the claimed insurance alike (empty parts left out).
pub fn numbers_ja(insurer: &str, symbol: &str, number: &str, branch: &str) -> String {
    let mut s = insurer.to_string();
    if !symbol.is_empty() {
        s.push_str(&format!(" 記号{symbol}"));
    }
    s.push_str(&format!(" 番号{number}"));
    if !branch.is_empty() {
        s.push_str(&format!(" 枝番{branch}"));
    }
    s
}

/// The numbers to put on a claim for a 不詳 insurance.
pub fn fushou_claim_numbers(late_elderly: bool) -> (&'static str, &'static str) {
    use super::numbers::*;
    (
        FUSHOU_INSURER,
        if late_elderly {
            FUSHOU_NUMBER_KOUKI
        } else {
            FUSHOU_NUMBER
        },
    )
}
