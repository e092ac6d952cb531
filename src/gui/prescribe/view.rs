//! The 処方 screen's view: today's visits, the editor, and what will print beside the visit's
//! issued prescriptions.

use iced::widget::{
    button, column, container, row, rule, scrollable, space, text, text_input, Column,
};
use iced::{Element, Length};

use super::draft::{drug_id, parse_number, place, rp_id, DrugField, RpField};
use super::{Message, Notice, PrescriptionScreen, REFILL_INPUT, REMARKS_INPUT, VOID_INPUT};
use crate::domain::prescription::{DoseForm, PrescriptionInput};
use crate::domain::types::Source;
use crate::error::FieldError;
use crate::gui::theme;
use crate::gui::widget::{self, cell};
use crate::print;
use crate::service::Records;
use crate::store::patients::Declaration;

impl PrescriptionScreen {
    pub fn view<'a>(&'a self, records: &'a Records) -> Element<'a, Message> {
        let problems = self.problems(records);
        let shown: Vec<FieldError> = problems.iter().filter(|e| self.shown(e)).cloned().collect();
        let left = self.visits_view().width(Length::FillPortion(5));
        let middle = self
            .editor_view(records, &shown, problems.len())
            .width(Length::FillPortion(10));
        let right = self.right_view(records).width(Length::FillPortion(7));
        row![left, rule::vertical(1), middle, rule::vertical(1), right]
            .spacing(10)
            .height(Length::Fill)
            .into()
    }

    fn visits_view(&self) -> Column<'_, Message> {
        let mut col = column![row![
            text("本日の受付").size(theme::TITLE),
            space::horizontal(),
            text(format!("{} 件", self.visits.len())).size(theme::BODY)
        ]
        .align_y(iced::Center)]
        .spacing(4);
        col = col.push(
            text("↑↓ 選択  Enter 処方を書く")
                .size(theme::BODY)
                .color(theme::MUTED),
        );
        if self.visits.is_empty() {
            col = col.push(
                text("まだ受付はありません")
                    .size(theme::BODY)
                    .color(theme::MUTED),
            );
        }
        let mut list = column![].spacing(4);
        for (i, v) in self.visits.iter().enumerate() {
            let picked = self.picked.as_ref() == Some(&v.visit_id);
            let (flag, color) = verification(self.claims.get(i).and_then(Option::as_ref));
            let line = column![
                cell::<Message>(
                    format!(
                        "{}{}  {}",
                        if picked { "▶ " } else { "" },
                        v.visit.visit_no,
                        v.patient_name
                    ),
                    Length::Fill
                ),
                container(text(flag).size(theme::BODY).color(color)),
            ]
            .spacing(2);
            let b = button(line)
                .padding(4)
                .width(Length::Fill)
                .style(theme::row_button)
                .on_press(Message::Pick(i));
            list = list.push(if i == self.selected {
                container(b).style(theme::selected_row).padding(2)
            } else {
                container(b).padding(2)
            });
        }
        col.push(scrollable(list).height(Length::Fill))
    }

    fn editor_view<'a>(
        &'a self,
        records: &'a Records,
        shown: &[FieldError],
        total: usize,
    ) -> Column<'a, Message> {
        let bad = |field: &str| shown.iter().any(|e| e.field == field);
        let mut head = column![].spacing(4);
        match self.picked_row() {
            Some((v, claim)) => {
                let (flag, color) = verification(claim);
                head = head.push(
                    row![
                        text(format!("処方: {}（{}）", v.patient_name, v.patient_kana)).size(20),
                        space::horizontal(),
                        text(v.visit.visit_no.clone()).size(theme::BODY)
                    ]
                    .align_y(iced::Center),
                );
                head = head
                    .push(text(format!("保険: {}", printed_insurance(claim))).size(theme::BODY));
                head = head.push(text(flag).size(theme::BODY).color(color));
            }
            None => {
                head = head.push(text("処方").size(theme::TITLE));
                head = head.push(
                    text("左の一覧で患者を選んで Enter を押してください")
                        .size(theme::BODY)
                        .color(theme::AMBER),
                );
            }
        }

        let mut rps = column![].spacing(8);
        for (i, rp) in self.draft.rps.iter().enumerate() {
            let mut block = column![row![
                text(format!("RP{}", i + 1)).size(18),
                space::horizontal(),
                text("Ctrl+H 変更不可  Ctrl+K 患者希望")
                    .size(theme::BODY)
                    .color(theme::MUTED),
            ]]
            .spacing(4);
            for (j, d) in rp.drugs.iter().enumerate() {
                let f = |k: &str| format!("rps[{i}].drugs[{j}].{k}");
                // One drug field: its id, input and submit messages, and its error mark.
                let field = |placeholder: &str, value: &str, which: DrugField| {
                    text_input(placeholder, value)
                        .id(drug_id(i, j, which))
                        .on_input(move |v| Message::Drug(i, j, which, v))
                        .on_submit(Message::Submit(i, j, which))
                        .size(theme::BODY)
                        .padding(5)
                        .style(theme::input(bad(&f(which.key()))))
                };
                let name = field("薬品名（例: アムロジピン錠5mg）", &d.name, DrugField::Name)
                    .width(Length::Fill);
                let amount = field("分量", &d.amount, DrugField::Amount).width(64);
                let unit = field("単位", &d.unit, DrugField::Unit).width(60);
                let toggle = |on: bool, label: &'static str, m: Message| {
                    let b = button(
                        text(if on {
                            format!("■{label}")
                        } else {
                            format!("□{label}")
                        })
                        .size(theme::BODY),
                    )
                    .padding([4, 6])
                    .on_press(m);
                    if on {
                        b.style(theme::tab(true))
                    } else {
                        b.style(theme::row_button)
                    }
                };
                let current = self.current == (i, j) && self.editing;
                let line = row![
                    text(if current { "▶" } else { " " })
                        .size(theme::BODY)
                        .width(14),
                    name,
                    amount,
                    unit,
                    toggle(
                        d.no_substitution,
                        "変更不可",
                        Message::ToggleNoSubstitution(Some((i, j)))
                    ),
                    toggle(
                        d.patient_request,
                        "患者希望",
                        Message::TogglePatientRequest(Some((i, j)))
                    ),
                ]
                .spacing(4)
                .align_y(iced::Center);
                block = block.push(line);
            }
            let days_label = match rp.form {
                DoseForm::Internal => "日分",
                DoseForm::Prn => "回分",
                DoseForm::External => "（日数なし）",
            };
            let usage = text_input("用法（例: 1日1回朝食後）", &rp.usage)
                .id(rp_id(i, RpField::Usage))
                .on_input(move |v| Message::Rp(i, RpField::Usage, v))
                .on_submit(Message::SubmitRp(i, RpField::Usage))
                .size(theme::BODY)
                .padding(5)
                .width(Length::Fill)
                .style(theme::input(bad(&format!("rps[{i}].usage"))));
            let form_key = match rp.form {
                DoseForm::Internal => "1",
                DoseForm::Prn => "2",
                DoseForm::External => "3",
            };
            let form = text_input("剤形", form_key)
                .id(rp_id(i, RpField::Form))
                .on_input(move |v| Message::Rp(i, RpField::Form, v))
                .on_submit(Message::SubmitRp(i, RpField::Form))
                .size(theme::BODY)
                .padding(5)
                .width(36)
                .style(theme::input(false));
            let mut days = text_input(
                if rp.form == DoseForm::Prn {
                    "回数"
                } else {
                    "日数"
                },
                &rp.days,
            )
            .id(rp_id(i, RpField::Days))
            .on_submit(Message::SubmitRp(i, RpField::Days))
            .size(theme::BODY)
            .padding(5)
            .width(60)
            .style(theme::input(bad(&format!("rps[{i}].days"))));
            if rp.form != DoseForm::External {
                days = days.on_input(move |v| Message::Rp(i, RpField::Days, v));
            }
            block = block.push(
                row![
                    text("用法").size(theme::BODY).width(36),
                    usage,
                    form,
                    text(format!("{}（1内服 2頓服 3外用）", rp.form.ja())).size(theme::BODY),
                    days,
                    text(days_label).size(theme::BODY),
                ]
                .spacing(4)
                .align_y(iced::Center),
            );
            rps = rps.push(
                container(block)
                    .padding(6)
                    .width(Length::Fill)
                    .style(theme::panel),
            );
        }

        let refill = text_input("なし", &self.draft.refill)
            .id(REFILL_INPUT)
            .on_input(Message::Refill)
            .on_submit(Message::Next)
            .size(theme::BODY)
            .padding(5)
            .width(60)
            .style(theme::input(bad("refill_count")));
        let remarks = text_input("備考（残薬の扱いなど）", &self.draft.remarks)
            .id(REMARKS_INPUT)
            .on_input(Message::Remarks)
            .on_submit(Message::Issue)
            .size(theme::BODY)
            .padding(5)
            .width(Length::Fill)
            .style(theme::input(bad("remarks")));
        let doctors = records.config.clinic.doctors.iter().enumerate().fold(
            row![text("保険医").size(theme::BODY)]
                .spacing(6)
                .align_y(iced::Center),
            |r, (i, d)| {
                r.push(
                    button(text(d.clone()).size(theme::BODY))
                        .padding([4, 10])
                        .style(theme::tab(i == self.doctor))
                        .on_press(Message::Doctor(i)),
                )
            },
        );
        let doctors = if let Some(doctor) = records.signed_in_doctor() {
            row![text(format!("保険医 {doctor}（サインイン中の医師）")).size(theme::BODY)]
        } else if records.config.clinic.doctors.is_empty() {
            row![text("保険医: 設定 [clinic] doctors が未設定です")
                .size(theme::BODY)
                .color(theme::ERROR_TEXT)]
        } else {
            doctors
        };

        let mut marks = column![].spacing(2);
        if shown.is_empty() {
            if total == 0 {
                marks = marks.push(
                    text("入力に誤りはありません — F10（Ctrl+P）で発行・印刷")
                        .size(theme::BODY)
                        .color(theme::GREEN),
                );
            }
        } else {
            for e in shown.iter().take(3) {
                marks = marks.push(
                    text(format!(
                        "× {}: {}（{}）",
                        e.label,
                        e.message_ja,
                        place(&e.field)
                    ))
                    .size(theme::BODY)
                    .color(theme::ERROR_TEXT),
                );
            }
            if shown.len() > 3 {
                marks = marks.push(
                    text(format!("ほか {} 件", shown.len() - 3))
                        .size(theme::BODY)
                        .color(theme::ERROR_TEXT),
                );
            }
        }

        let mut suggest = row![text("候補").size(theme::BODY).color(theme::MUTED)]
            .spacing(6)
            .align_y(iced::Center);
        let list = if self.editing {
            self.suggestions()
        } else {
            Vec::new()
        };
        let (r, d) = self.current;
        let typed = self
            .draft
            .rps
            .get(r)
            .and_then(|rp| rp.drugs.get(d))
            .is_some_and(|d| !d.name.trim().is_empty());
        if list.is_empty() {
            suggest = suggest.push(
                text(if self.recent.is_empty() {
                    "（最近の処方はまだありません）"
                } else {
                    "—"
                })
                .size(theme::BODY)
                .color(theme::MUTED),
            );
        }
        for (k, s) in list.into_iter().enumerate() {
            let label = format!(
                "{}{} {}{}",
                if k == 0 && typed { "Enter " } else { "" },
                s.name,
                s.amount,
                s.unit
            );
            suggest = suggest.push(
                button(text(label).size(theme::BODY))
                    .padding([3, 6])
                    .style(theme::row_button)
                    .on_press(Message::Accept(s.clone())),
            );
        }

        column![
            head,
            rule::horizontal(1),
            scrollable(rps.padding(iced::Padding {
                right: 12.0,
                ..iced::Padding::ZERO
            }))
            .height(Length::Fill),
            container(
                scrollable(suggest).direction(scrollable::Direction::Horizontal(
                    scrollable::Scrollbar::new().width(3).scroller_width(3)
                ))
            )
            .width(Length::Fill),
            row![
                button(text("Ctrl+D 薬を追加").size(theme::BODY))
                    .padding([4, 8])
                    .style(theme::tab(false))
                    .on_press(Message::AddDrug),
                button(text("Ctrl+R RPを追加").size(theme::BODY))
                    .padding([4, 8])
                    .style(theme::tab(false))
                    .on_press(Message::AddRp),
                button(text("Ctrl+Del 削除").size(theme::BODY))
                    .padding([4, 8])
                    .style(theme::tab(false))
                    .on_press(Message::Remove),
            ]
            .spacing(6)
            .align_y(iced::Center),
            row![
                text("リフィル可").size(theme::BODY),
                refill,
                text("回（1〜3）").size(theme::BODY),
                space::horizontal(),
                doctors
            ]
            .spacing(6)
            .align_y(iced::Center),
            row![text("備考").size(theme::BODY), remarks]
                .spacing(6)
                .align_y(iced::Center),
            row![
                marks,
                space::horizontal(),
                button(text("F10 発行・印刷").size(18))
                    .padding([6, 16])
                    .on_press(Message::Issue)
            ]
            .align_y(iced::Center),
        ]
        .spacing(6)
    }

    fn right_view<'a>(&'a self, records: &'a Records) -> Column<'a, Message> {
        let mut col = column![].spacing(6);
        if let Some(n) = &self.notice {
            col = col.push(match n {
                Notice::Done(m) => widget::notice_text(m.clone(), 6),
                Notice::Error(e) => widget::error(e, 6),
            });
        }
        col = col.push(text("印刷される内容").size(18));
        let preview = self.preview(records).into_iter().fold(
            column![].spacing(1).padding(iced::Padding {
                right: 12.0,
                ..iced::Padding::ZERO
            }),
            |c, l| c.push(text(l).size(theme::BODY)),
        );
        col = col.push(
            container(scrollable(preview).height(Length::Fill))
                .padding(6)
                .width(Length::Fill)
                .height(Length::FillPortion(3))
                .style(theme::panel),
        );

        let mut issued = column![text("この受付の処方箋").size(18)].spacing(4);
        if self.picked.is_none() {
        } else if self.issued.is_empty() {
            issued = issued.push(
                text("まだ発行していません")
                    .size(theme::BODY)
                    .color(theme::MUTED),
            );
        } else if self.latest_valid().is_some() {
            issued = issued.push(
                text("F6 PDFを開く  F8 再印刷（2回押す）  Esc → Ctrl+Del 取消（理由）")
                    .size(theme::BODY)
                    .color(theme::MUTED),
            );
        }
        for p in self.issued.iter().rev() {
            let drugs = drug_names(&p.content);
            let status = match (&p.voided_at, &p.void_reason) {
                (Some(_), reason) => format!("取消（{}）", reason.clone().unwrap_or_default()),
                _ => format!("{} {}", p.issued_on, p.doctor),
            };
            let mut line = row![column![
                text(format!("RX{}  {}", p.id, status)).size(theme::BODY),
                cell::<Message>(drugs, Length::Fill)
            ]
            .width(Length::Fill)]
            .spacing(4)
            .align_y(iced::Center);
            if p.voided_at.is_none() {
                line = line
                    .push(
                        button(text("PDF").size(theme::BODY))
                            .padding([3, 6])
                            .style(theme::tab(false))
                            .on_press(Message::OpenPdf(p.id)),
                    )
                    .push(
                        button(text("再印刷").size(theme::BODY))
                            .padding([3, 6])
                            .style(theme::tab(false))
                            .on_press(Message::Reprint(p.id)),
                    )
                    .push(
                        button(text("取消").size(theme::BODY))
                            .padding([3, 6])
                            .style(theme::tab(false))
                            .on_press(Message::VoidAsk(p.id)),
                    );
            }
            issued = issued.push(line);
            if let Some((id, reason)) = &self.voiding {
                if *id == p.id {
                    issued = issued.push(widget::reason_input(
                        "取消の理由（必須）を入力して Enter、Esc でやめる",
                        reason,
                        VOID_INPUT,
                        Message::VoidReason,
                        Message::VoidConfirm,
                        false,
                    ));
                }
            }
        }
        col.push(container(scrollable(issued)).height(Length::FillPortion(2)))
    }

    /// The text the paper will carry, in its order; the 処方 lines are the printed ones.
    fn preview(&self, records: &Records) -> Vec<String> {
        let Some((v, claim)) = self.picked_row() else {
            return vec!["（患者を選ぶと表示します）".into()];
        };
        let mut lines = vec![
            format!("氏名 {}", v.patient_name),
            format!("保険 {}", printed_insurance(claim)),
            format!(
                "交付 {}",
                crate::domain::wareki::format_wareki(records.today())
            ),
        ];
        lines.push("処方".into());
        lines.extend(print::rx_lines(&self.draft.printed_rps()));
        if let Ok(Some(n)) = parse_number(&self.draft.refill) {
            lines.push(format!("リフィル可 {n}回"));
        }
        if !self.draft.remarks.trim().is_empty() {
            lines.push(format!("備考 {}", self.draft.remarks.trim()));
        }
        if self
            .draft
            .rps
            .iter()
            .flat_map(|r| &r.drugs)
            .any(|d| d.no_substitution)
        {
            lines.push(format!(
                "保険医署名 {}（変更不可あり）",
                self.doctor_name(records)
            ));
        }
        lines.push(format!("保険医 {}", self.doctor_name(records)));
        lines
    }
}

/// The insurance as the form will carry it: numbers in the boxes, or 不詳.
fn printed_insurance(claim: Option<&Declaration>) -> String {
    claim.map_or_else(|| "保険情報なし".into(), |d| d.insurance.summary_ja())
}

/// Whether the insurance was confirmed online (or by a manual lookup) or is as declared.
fn verification(claim: Option<&Declaration>) -> (String, iced::Color) {
    match claim {
        None => ("保険情報なし".into(), theme::ERROR_TEXT),
        Some(d) if d.insurance.is_fushou() => {
            ("不詳・未確認（番号なし）".into(), theme::ERROR_TEXT)
        }
        // Said as what happened, not as the record's source plus a status (「確認済（申告）」
        // read as if the declaration itself were the check).
        Some(d) => match (d.source, &d.verified_at) {
            (Source::Verified, _) => ("オンライン確認済".into(), theme::GREEN),
            (Source::Manual, _) => ("照会結果を手入力（確認済）".into(), theme::GREEN),
            (Source::Declared, Some(_)) => {
                ("申告どおり（オンライン確認で一致）".into(), theme::GREEN)
            }
            (Source::Declared, None) => ("申告のまま・未確認".into(), theme::AMBER),
        },
    }
}

/// The drug names of a stored prescription, for its line in the list.
fn drug_names(content: &PrescriptionInput) -> String {
    let names: Vec<&str> = content
        .rps
        .iter()
        .flat_map(|rp| &rp.drugs)
        .map(|d| d.name.as_str())
        .collect();
    names.join("、")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn declaration(source: Source, verified_at: Option<&str>) -> Declaration {
        Declaration {
            id: 1,
            patient_id: 1,
            insurance: serde_json::from_value(serde_json::json!({
                "kind": "shaho", "insurer_number": "01130012", "symbol": "12", "number": "5678",
                "branch": "01", "relationship": "self", "insurer_name": "", "employer": "",
                "copay_percent": 30, "public_funds": []
            }))
            .unwrap(),
            source,
            basis: "self_declaration".into(),
            verified_at: verified_at.map(String::from),
            created_at: "2026-11-25T09:00:00+09:00".into(),
            superseded_by: None,
        }
    }

    #[test]
    fn verification_is_said_as_what_happened() {
        let at = Some("2026-11-25T15:00:00+09:00");
        let said = |source, at| verification(Some(&declaration(source, at))).0;
        assert_eq!(said(Source::Declared, None), "申告のまま・未確認");
        assert_eq!(
            said(Source::Declared, at),
            "申告どおり（オンライン確認で一致）"
        );
        assert_eq!(said(Source::Verified, at), "オンライン確認済");
        assert_eq!(said(Source::Manual, at), "照会結果を手入力（確認済）");
    }
}
