//! The outage runbook as data: what to try, in the order that fixes it fastest.
//!
//! The most common cause of a dead terminal, per the national helpdesk, is that the line
//! authentication (回線認証) dropped; re-consenting on the carrier's line-information page fixes
//! it at once. So that step comes first, before the restarts clinics usually try for an hour.

use crate::config::{Runbook, RunbookStep};

/// The steps in force: the clinic's own from `[runbook] steps`, or the built-in ones filled
/// with the configured addresses and numbers.
pub fn steps(cfg: &Runbook) -> Vec<RunbookStep> {
    if !cfg.steps.is_empty() {
        return cfg.steps.clone();
    }
    let step = |id: &str, title: &str, detail: &str, url: &str, phone: &str| RunbookStep {
        id: id.into(),
        title: title.into(),
        detail: detail.into(),
        url: url.into(),
        phone: phone.into(),
    };
    vec![
        step(
            "line_reauth",
            "回線認証をやり直す（最も多い原因）",
            "資格確認端末で Edge を開き、回線事業者の「回線情報通知機能」の同意ページを開く。お客様ID（CAF または COP で始まる）の通知について「希望する」を選ぶ。すぐに資格確認を試す。",
            &cfg.consent_page_url,
            "",
        ),
        step(
            "reception_fallback",
            "受付を申立書に切り替える",
            "マイナポータル画面・資格確認書があればそれで、なければ被保険者資格申立書で受け付ける。再診の方は口頭の「変更なし」で可。",
            "",
            "",
        ),
        step(
            "paper_prescriptions",
            "処方箋を紙に切り替える",
            "電子処方箋が使えない間は紙の処方箋（様式第二号）を発行する。障害中の紙処方箋は後から登録しなくてよい。",
            "",
            "",
        ),
        step(
            "restart_terminal",
            "資格確認端末と連携アプリを再起動する",
            "資格確認端末（PC）と顔認証付きカードリーダーを再起動し、連携アプリケーションが起動していることを確かめる。",
            "",
            "",
        ),
        step(
            "check_network",
            "院内ネットワークとルーターを確かめる",
            "ルーター・VPN機器のランプ、LANケーブル、他のPCの通信を確かめる。電子カルテ・レセコンの業者にも連絡する。",
            "",
            &cfg.vendor_phone,
        ),
        step(
            "call_carrier",
            "回線事業者のサポートに電話する",
            "回線認証の状態を確認してもらう（お客様IDを手元に）。",
            "",
            &cfg.support_phone,
        ),
        step(
            "call_national",
            "オンライン資格確認のコールセンターに電話する",
            "障害の有無を確認する。番号がわからない患者の照会（緊急時医療情報・資格確認機能）の利用もここで依頼する。",
            "",
            &cfg.national_helpdesk_phone,
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_reauthentication_comes_first_with_the_configured_page() {
        let cfg = Runbook {
            consent_page_url: "https://example.invalid/consent".into(),
            support_phone: "0120-000-000".into(),
            ..Default::default()
        };
        let s = steps(&cfg);
        assert_eq!(s[0].id, "line_reauth");
        assert_eq!(s[0].url, "https://example.invalid/consent");
        assert!(s[0].detail.contains("希望する"));
        assert_eq!(
            s.iter().find(|x| x.id == "call_carrier").unwrap().phone,
            "0120-000-000"
        );
        let ids: std::collections::HashSet<_> = s.iter().map(|x| &x.id).collect();
        assert_eq!(ids.len(), s.len(), "ids are unique");
    }

    #[test]
    fn the_clinic_can_replace_the_steps() {
        let cfg = Runbook {
            steps: vec![RunbookStep {
                id: "a".into(),
                title: "A".into(),
                detail: String::new(),
                url: String::new(),
                phone: String::new(),
            }],
            ..Default::default()
        };
        assert_eq!(steps(&cfg).len(), 1);
    }
}
