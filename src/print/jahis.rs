//! The JAHIS 院外処方箋２次元シンボル payload, version 1.10 (`JAHIS10`).
//!
//! CSV text in Shift_JIS, one record per line ending CR LF: the version line, the 医療機関/医師/
//! 患者/保険 group (records 1-82, in number order), then each RP's 101-181 followed by its drugs'
//! 201-281 (spec 3.2.5). No quoting; a half-width comma inside data becomes `，`; leading and
//! trailing spaces are dropped; 外字 become ■ (3.2.4). Optional records are left out whole.
//!
//! What is written, and why some optional records are not: the spec's first premise is that the
//! symbol carries nothing that is not on the paper. So the カナ氏名 (11), 保険種別 (21) and
//! 負担・給付率 (24) are left out; 一部負担区分 (14) is written because the spec requires it for
//! 未就学児 and 高齢者. Dates are written 西暦 YYYYMMDD, which the spec allows.

use crate::config::Clinic;
use crate::domain::copay::{age_band, AgeBand};
use crate::domain::prescription::{DoseForm, Prescription};
use crate::domain::{Insurance, InsuranceKind, PatientDetails, Relationship, Sex};
use crate::error::{Error, FieldError};

use super::sjis;

/// Everything printed on one prescription.
#[derive(Debug, Clone)]
pub struct RxDocument {
    pub clinic: Clinic,
    pub patient: PatientDetails,
    pub insurance: Insurance,
    pub prescription: Prescription,
    /// What is printed on every sheet besides the form: the id, and a reissue's mark.
    pub sheet: SheetMarks,
}

/// Printed on every sheet, in small print, so that a sheet always names its prescription and
/// two originals cannot circulate unnoticed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SheetMarks {
    /// The prescription's id (「RX12」); None before it is issued.
    pub id: Option<String>,
    /// For a reissue (「再発行」): the original's 交付年月日.
    pub reissue_of: Option<chrono::NaiveDate>,
}

impl RxDocument {
    /// The `[clinic]` keys printing needs; each missing one is named by its config key.
    pub fn check(&self) -> Result<(), Error> {
        let c = &self.clinic;
        let mut errs = Vec::new();
        let mut need = |v: &Option<String>, key: &str, label: &str| {
            if v.as_deref().is_none_or(|s| s.trim().is_empty()) {
                errs.push(FieldError::new(
                    key,
                    label,
                    format!("設定ファイルに {key} がありません"),
                    format!("{key} is missing from the configuration"),
                ));
            }
        };
        need(&c.name, "clinic.name", "保険医療機関の名称");
        need(&c.address, "clinic.address", "保険医療機関の所在地");
        need(&c.prefecture_code, "clinic.prefecture_code", "都道府県番号");
        need(&c.fee_table, "clinic.fee_table", "点数表番号");
        need(
            &c.institution_code,
            "clinic.institution_code",
            "医療機関コード",
        );
        if errs.is_empty() {
            Ok(())
        } else {
            Err(Error::Input(errs))
        }
    }
}

/// One CSV record: its number and its fields, as text (before Shift_JIS encoding).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// None for the version line.
    pub no: Option<u16>,
    pub fields: Vec<String>,
}

impl Record {
    fn new(no: u16, fields: Vec<String>) -> Self {
        Record {
            no: Some(no),
            fields,
        }
    }
    /// The line without its CR LF, as Unicode text.
    pub fn line(&self) -> String {
        match self.no {
            None => self.fields.join(","),
            Some(no) => std::iter::once(no.to_string())
                .chain(self.fields.iter().cloned())
                .collect::<Vec<_>>()
                .join(","),
        }
    }
    /// The line as Shift_JIS bytes, CR LF included.
    pub fn encode(&self) -> Vec<u8> {
        let mut b = sjis::encode_lossy(&self.line());
        b.extend_from_slice(b"\r\n");
        b
    }
}

/// The version line of JAHIS 1.10.
pub const VERSION: &str = "JAHIS10";

/// Longest 備考 (81) text per record, in characters (N50).
const REMARK_CHARS: usize = 50;

/// Cleans one data field: comma → `，`, line breaks and tabs → space, no leading or trailing
/// half- or full-width spaces, runs of spaces → one.
pub fn clean(s: &str) -> String {
    let s: String = s
        .chars()
        .map(|c| {
            if c == ',' {
                '，'
            } else if c.is_control() {
                ' '
            } else {
                c
            }
        })
        .collect();
    s.split([' ', '\u{3000}'])
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn opt(s: &Option<String>) -> String {
    s.as_deref().map(clean).unwrap_or_default()
}

/// 一部負担区分 (record 14), where the spec requires it: 3 未就学, 1 高齢者一般, 2 高齢者7割,
/// 5 後期高齢者8割.
pub fn copay_class(doc: &RxDocument) -> Option<u8> {
    let band = if doc.insurance.kind == InsuranceKind::Kouki {
        AgeBand::LateElderly
    } else {
        age_band(doc.patient.birth_date, doc.prescription.issued_on)
    };
    let pct = doc.insurance.copay_percent;
    match band {
        AgeBand::Preschool => Some(3),
        AgeBand::Working => None,
        AgeBand::Elderly => Some(if pct >= 30 { 2 } else { 1 }),
        AgeBand::LateElderly => Some(match pct {
            30.. => 2,
            20..=29 => 5,
            _ => 1,
        }),
    }
}

/// 公費単独 (生活保護 and the like): no 保険者番号 but a 公費. Printed with the 公費 numbers and
/// nothing about 不詳; the insurance part of the form stays empty, as for any 公費単独 patient.
pub fn public_only(ins: &Insurance) -> bool {
    ins.insurer_number.is_none() && !ins.public_funds.is_empty()
}

/// 不詳: no numbers and no 公費. The patient was received on a 被保険者資格申立書 while online
/// eligibility could not be checked (保発0710第1号, 2023-07-10; 事務連絡 2023-07-19): the
/// pharmacy must see that the patient is insured, with numbers still to be found, and not
/// take the prescription for 自費.
pub fn fushou(ins: &Insurance) -> bool {
    ins.insurer_number.is_none() && ins.public_funds.is_empty()
}

/// The lines the clinic does not type but the 備考 欄 must carry, first: the age class, and the
/// 不詳 note.
///
/// Wording from 「診療報酬請求書等の記載要領等について」(昭和51年8月7日保険発第82号) 別紙1 第5
/// 「処方箋の記載上の注意事項」, 「備考」欄, as amended by the 保医発 notices since (the 令和6年
/// 改定 included): 「６歳」 for a patient before the first 31 March after the 6th birthday
/// (未就学児, 2割), 「高一」 for a 高齢受給者 or 後期高齢者 of the 一般・低所得 class, 「高７」 for one
/// of the 7割給付 (現役並み所得) class. The same class is record 14 in the symbol, so the paper says
/// what the symbol does.
pub fn automatic_remarks(doc: &RxDocument) -> Vec<String> {
    let mut out = Vec::new();
    match copay_class(doc) {
        Some(3) => out.push("６歳".to_string()),
        Some(2) => out.push("高７".to_string()),
        Some(_) => out.push("高一".to_string()),
        None => {}
    }
    let ins = &doc.insurance;
    if fushou(ins) {
        let mut declared = vec![
            ins.kind.ja().to_string(),
            format!("{}割", ins.copay_percent / 10),
        ];
        declared.extend(
            [&ins.insurer_name, &ins.employer]
                .into_iter()
                .map(|t| clean(t))
                .filter(|t| !t.is_empty()),
        );
        if ins.relationship.is_none() {
            declared.push("本人・家族の別不明".into());
        }
        out.push(format!(
            "不詳（オンライン資格確認不可・被保険者資格申立書による）申立: {}",
            declared.join("・")
        ));
    }
    out
}

/// The whole 備考 text as printed and as written in records 81: the automatic lines, then the
/// doctor's remarks.
pub fn remarks(doc: &RxDocument) -> String {
    let mut lines = automatic_remarks(doc);
    if !doc.prescription.remarks.trim().is_empty() {
        lines.push(doc.prescription.remarks.clone());
    }
    lines.join("\n")
}

/// The records of the payload, in output order.
pub fn records(doc: &RxDocument) -> Vec<Record> {
    let c = &doc.clinic;
    let p = &doc.patient;
    let ins = &doc.insurance;
    let rx = &doc.prescription;
    let ymd = |d: chrono::NaiveDate| d.format("%Y%m%d").to_string();

    let mut out = vec![Record {
        no: None,
        fields: vec![VERSION.into()],
    }];
    // 1 医療機関: 種別 (点数表), コード, 都道府県, 名称.
    out.push(Record::new(
        1,
        vec![
            opt(&c.fee_table),
            opt(&c.institution_code),
            opt(&c.prefecture_code),
            opt(&c.name),
        ],
    ));
    if c.postal_code.is_some() || c.address.is_some() {
        out.push(Record::new(2, vec![opt(&c.postal_code), opt(&c.address)]));
    }
    if let Some(phone) = c.phone.as_deref().map(clean).filter(|s| !s.is_empty()) {
        out.push(Record::new(3, vec![phone, String::new(), String::new()]));
    }
    // 4 診療科: not required for clinics (診療所), and not in the configuration.
    out.push(Record::new(
        5,
        vec![String::new(), String::new(), clean(&rx.doctor)],
    ));
    out.push(Record::new(
        11,
        vec![String::new(), clean(&p.name), String::new()],
    ));
    out.push(Record::new(
        12,
        vec![match p.sex {
            Sex::Male => "1",
            Sex::Female => "2",
        }
        .into()],
    ));
    out.push(Record::new(13, vec![ymd(p.birth_date)]));
    if let Some(class) = copay_class(doc) {
        out.push(Record::new(14, vec![class.to_string()]));
    }
    // 22 保険者番号: empty means "none" (the 不詳 path prints no number on paper either).
    out.push(Record::new(22, vec![opt(&ins.insurer_number)]));
    let relation = match ins.relationship {
        Some(Relationship::Family) => "2",
        // The field is required (◎): a strict reader refuses it empty. A 公費単独 patient is
        // written as JAHIS's own sample 「記号番号省略(被保険者)」; a 不詳 patient who did not
        // say 本人 or 家族 likewise, with 「本人・家族の別不明」 in 備考 (record 81) on both.
        Some(Relationship::Insured) | None => "1",
    };
    let branch = clean(&ins.branch);
    let branch = if branch.len() == 1 {
        format!("0{branch}")
    } else {
        branch
    };
    out.push(Record::new(
        23,
        vec![
            clean(&ins.symbol),
            opt(&ins.number),
            relation.into(),
            branch,
        ],
    ));
    for (no, fund) in (27u16..=29).zip(&ins.public_funds) {
        out.push(Record::new(
            no,
            vec![clean(&fund.payer), clean(&fund.recipient)],
        ));
    }
    out.push(Record::new(51, vec![ymd(rx.issued_on)]));
    if let Some(d) = rx.valid_until {
        out.push(Record::new(52, vec![ymd(d)]));
    }
    if let Some(l) = rx.leftover {
        out.push(Record::new(62, vec![l.jahis_code().to_string()]));
    }
    if let Some(n) = rx.refill_count {
        out.push(Record::new(64, vec![n.to_string()]));
    }
    let mut seq = 0;
    for line in remarks(doc).lines().map(clean).filter(|l| !l.is_empty()) {
        let chars: Vec<char> = line.chars().collect();
        for chunk in chars.chunks(REMARK_CHARS) {
            seq += 1;
            out.push(Record::new(
                81,
                vec![
                    seq.to_string(),
                    String::new(),
                    chunk.iter().collect::<String>().trim().into(),
                ],
            ));
        }
    }

    for (i, rp) in rx.rps.iter().enumerate() {
        let rp_no = (i + 1).to_string();
        // 調剤数量: days for 内服, times for 頓服, 1 for 外用 (the amount is the total).
        let qty = match rp.form {
            DoseForm::External => 1,
            _ => rp.days.unwrap_or(1),
        };
        out.push(Record::new(
            101,
            vec![
                rp_no.clone(),
                rp.form.jahis_code().to_string(),
                String::new(),
                qty.to_string(),
            ],
        ));
        out.push(Record::new(
            111,
            vec![
                rp_no.clone(),
                "1".into(),
                String::new(),
                clean(&rp.usage),
                String::new(),
            ],
        ));
        for (j, d) in rp.drugs.iter().enumerate() {
            let seq = (j + 1).to_string();
            // 情報区分 1 医薬品, コード種別 1 コードなし, 力価フラグ 1 薬価単位.
            out.push(Record::new(
                201,
                vec![
                    rp_no.clone(),
                    seq.clone(),
                    "1".into(),
                    "1".into(),
                    String::new(),
                    clean(&d.name),
                    d.amount.clone(),
                    "1".into(),
                    clean(&d.unit),
                ],
            ));
            let mut note = 0;
            let mut supplement = |kind: &str, text: &str| {
                note += 1;
                Record::new(
                    281,
                    vec![
                        rp_no.clone(),
                        seq.clone(),
                        note.to_string(),
                        kind.into(),
                        text.into(),
                        String::new(),
                    ],
                )
            };
            if d.no_substitution {
                out.push(supplement("3", "後発品変更不可"));
            }
            if d.patient_request {
                out.push(supplement("8", "先発医薬品患者希望"));
            }
        }
    }
    out
}

/// The whole payload as Shift_JIS bytes.
pub fn payload(doc: &RxDocument) -> Vec<u8> {
    records(doc).iter().flat_map(Record::encode).collect()
}

/// Every field text that goes into the symbol, for reporting which characters become ■.
pub fn symbol_text(doc: &RxDocument) -> String {
    records(doc)
        .iter()
        .map(Record::line)
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_follows_the_spec() {
        assert_eq!(clean(" 1日3回, 毎食後　"), "1日3回， 毎食後");
        assert_eq!(clean("工業会　　次郎"), "工業会 次郎");
        assert_eq!(clean("a\r\nb"), "a b");
    }
}
