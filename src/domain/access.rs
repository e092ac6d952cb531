//! Who may do what (安全管理ガイドライン 第6.0版: rights by role). The table lives here, once:
//! the library checks it before every service call, the window uses it only to hide what would
//! be refused anyway, and the README and the issue note print it.

use super::types::string_enum;
use serde::{Deserialize, Serialize};

string_enum!(
    /// A member of staff's role. One person may hold several.
    Role {
        Reception = "reception" / "受付",
        /// Holds the 保険医 name printed on prescriptions.
        Doctor = "doctor" / "医師",
        Clerk = "clerk" / "請求",
        Admin = "admin" / "管理者",
    }
);

string_enum!(
    /// A right the library checks before it acts.
    Right {
        /// Intake (new, returning, 不詳), corrections of a patient, voiding a visit.
        Intake = "intake" / "受付の記録",
        /// Searching patients, the day's visits, a patient's record (each view is audited).
        ViewRecords = "view_records" / "患者記録の閲覧",
        /// The 被保険者資格申立書 and the day's degraded-mode list on paper.
        Forms = "forms" / "申立書・受付一覧の印刷",
        /// The outage log and its incident report.
        OutageLog = "outage_log" / "障害記録の閲覧",
        /// Declaring or ending an outage, ticking the runbook, notes, probes: every account.
        Outage = "outage" / "障害モードの操作",
        /// Issuing, reprinting and voiding paper prescriptions.
        Prescribe = "prescribe" / "処方箋の発行・再発行・取消",
        /// The reconciliation pass, decisions, the clerk's report and the export for billing.
        Reconcile = "reconcile" / "照合・判断・請求用の出力",
        /// Merging and unmerging patients recorded twice.
        MergePatients = "merge_patients" / "患者の統合",
        /// Staff accounts, the break-glass review.
        Accounts = "accounts" / "アカウント管理",
        /// Backups, restore, the audit check, the settings.
        Administer = "administer" / "バックアップ・復元・監査・設定",
    }
);

impl Right {
    /// The roles that hold this right: the role × action table as built.
    pub fn roles(self) -> &'static [Role] {
        use Role::*;
        match self {
            Right::Intake | Right::Forms => &[Reception],
            Right::ViewRecords => &[Reception, Doctor, Clerk],
            Right::OutageLog => &[Reception, Clerk, Admin],
            Right::Outage => &[Reception, Doctor, Clerk, Admin],
            Right::Prescribe => &[Doctor],
            Right::Reconcile => &[Clerk],
            Right::MergePatients => &[Reception, Clerk],
            Right::Accounts | Right::Administer => &[Admin],
        }
    }

    /// What reception may still do under a typed name when nobody can sign in during an
    /// outage (break-glass): keep patients moving, nothing else.
    pub fn open_in_break_glass(self) -> bool {
        matches!(
            self,
            Right::Intake | Right::ViewRecords | Right::Forms | Right::Outage
        )
    }
}

/// True when someone holding `roles` has `right`.
pub fn allows(roles: &[Role], right: Right) -> bool {
    right.roles().iter().any(|r| roles.contains(r))
}

/// Roles as stored (`reception,doctor`), in the table's order, without repeats.
pub fn roles_to_text(roles: &[Role]) -> String {
    Role::ALL
        .iter()
        .filter(|r| roles.contains(r))
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// Roles from their stored form; unknown names are skipped (a newer build's role).
pub fn roles_from_text(text: &str) -> Vec<Role> {
    text.split(',')
        .filter_map(|r| Role::parse(r.trim()))
        .collect()
}

/// Roles as staff read them (`受付・医師`).
pub fn roles_ja(roles: &[Role]) -> String {
    Role::ALL
        .iter()
        .filter(|r| roles.contains(r))
        .map(|r| r.ja())
        .collect::<Vec<_>>()
        .join("・")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_right_belongs_to_the_roles_of_the_table() {
        use Role::*;
        assert!(allows(&[Reception], Right::Intake));
        assert!(!allows(&[Doctor, Clerk, Admin], Right::Intake));
        assert!(allows(&[Doctor], Right::Prescribe));
        assert!(!allows(&[Reception, Clerk, Admin], Right::Prescribe));
        assert!(allows(&[Clerk], Right::Reconcile));
        assert!(!allows(&[Reception, Doctor, Admin], Right::Reconcile));
        assert!(allows(&[Admin], Right::Accounts));
        assert!(!allows(&[Reception, Doctor, Clerk], Right::Accounts));
        for role in Role::ALL {
            assert!(allows(&[*role], Right::Outage), "{role} declares outages");
        }
        assert!(
            allows(&[Clerk, Doctor], Right::Prescribe),
            "several roles add up"
        );
        assert!(!allows(&[], Right::Outage));
    }

    #[test]
    fn break_glass_keeps_patients_moving_and_nothing_else() {
        assert!(Right::Intake.open_in_break_glass());
        assert!(Right::ViewRecords.open_in_break_glass());
        assert!(!Right::Prescribe.open_in_break_glass());
        assert!(!Right::Reconcile.open_in_break_glass());
        assert!(!Right::Accounts.open_in_break_glass());
    }

    #[test]
    fn roles_round_trip_through_their_stored_form() {
        let roles = [Role::Admin, Role::Reception, Role::Admin];
        assert_eq!(roles_to_text(&roles), "reception,admin");
        assert_eq!(
            roles_from_text("reception,admin,nurse"),
            [Role::Reception, Role::Admin]
        );
        assert_eq!(roles_ja(&roles), "受付・管理者");
    }
}
