//! Health probes: is qualification working right now?
//!
//! - the 資格確認端末 folder: requests taken, no abnormal-end results, folders usable
//!   (see [`OqsFolder::probe`]);
//! - TCP reachability of configured `host:port`s (the VPN router, the terminal).
//!
//! A probe never panics and never blocks longer than its own timeout.

use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

use serde::Serialize;

use crate::config::Config;
use crate::qualification::OqsFolder;

const TCP_TIMEOUT: Duration = Duration::from_secs(3);

/// One probe's verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// `folder` or `tcp:host:port`.
    pub name: String,
    pub ok: bool,
    pub detail_ja: String,
    pub detail_en: String,
}

/// All probes of one round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// True when every probe passed (and at least one ran).
    pub ok: bool,
    pub checks: Vec<Check>,
}

impl Report {
    pub fn from_checks(checks: Vec<Check>) -> Report {
        Report {
            ok: !checks.is_empty() && checks.iter().all(|c| c.ok),
            checks,
        }
    }

    /// The failing checks in one line, for the outage reason.
    pub fn summary_ja(&self) -> String {
        let failed: Vec<String> = self
            .checks
            .iter()
            .filter(|c| !c.ok)
            .map(|c| c.detail_ja.clone())
            .collect();
        if failed.is_empty() {
            "すべて正常".into()
        } else {
            failed.join(" / ")
        }
    }
}

/// The probes `[probes]` and `[qualification]` configure.
pub struct Probes {
    folder: Option<OqsFolder>,
    tcp: Vec<String>,
}

impl Probes {
    pub fn from_config(cfg: &Config) -> crate::error::Result<Probes> {
        let folder = match (cfg.probes.folder, cfg.qualification.root.is_some()) {
            (Some(false), _) | (None, false) => None,
            (Some(true), _) | (None, true) => Some(OqsFolder::from_config(&cfg.qualification)?),
        };
        Ok(Probes {
            folder,
            tcp: cfg.probes.tcp.clone(),
        })
    }

    pub fn new(folder: Option<OqsFolder>, tcp: Vec<String>) -> Probes {
        Probes { folder, tcp }
    }

    pub fn is_empty(&self) -> bool {
        self.folder.is_none() && self.tcp.is_empty()
    }

    /// Runs every probe once.
    pub fn run(&self) -> Report {
        let mut checks = Vec::new();
        if let Some(folder) = &self.folder {
            let outcome = folder.probe();
            checks.push(Check {
                name: "folder".into(),
                ok: outcome.ok,
                detail_ja: if outcome.ok {
                    "資格確認端末フォルダ: 正常".into()
                } else {
                    outcome
                        .problems
                        .iter()
                        .map(|p| p.message_ja())
                        .collect::<Vec<_>>()
                        .join(" / ")
                },
                detail_en: if outcome.ok {
                    "terminal folder: ok".into()
                } else {
                    outcome
                        .problems
                        .iter()
                        .map(|p| p.message_en())
                        .collect::<Vec<_>>()
                        .join(" / ")
                },
            });
        }
        for target in &self.tcp {
            checks.push(tcp_check(target));
        }
        Report::from_checks(checks)
    }
}

fn tcp_check(target: &str) -> Check {
    let name = format!("tcp:{target}");
    let addrs: Vec<SocketAddr> = match target.to_socket_addrs() {
        Ok(a) => a.collect(),
        Err(e) => {
            return Check {
                name,
                ok: false,
                detail_ja: format!("{target}: 宛先の書き方が正しくありません（host:port）"),
                detail_en: format!("{target}: bad address: {e}"),
            }
        }
    };
    let mut last_err = String::from("no address");
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, TCP_TIMEOUT) {
            Ok(_) => {
                return Check {
                    name,
                    ok: true,
                    detail_ja: format!("{target}: 接続できます"),
                    detail_en: format!("{target}: reachable"),
                }
            }
            Err(e) => last_err = e.to_string(),
        }
    }
    Check {
        name,
        ok: false,
        detail_ja: format!("{target}: 接続できません"),
        detail_en: format!("{target}: unreachable ({last_err})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tcp_probe_sees_a_listener_and_its_absence() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let p = Probes::new(None, vec![addr.clone()]);
        assert!(p.run().ok);
        drop(listener);
        let r = p.run();
        assert!(!r.ok);
        assert!(r.summary_ja().contains("接続できません"));
    }

    #[test]
    fn a_bad_address_is_a_failed_check_not_a_panic() {
        let r = Probes::new(None, vec!["not an address".into()]).run();
        assert!(!r.ok);
        assert!(r.checks[0].detail_ja.contains("host:port"));
    }

    #[test]
    fn no_probes_is_not_ok() {
        assert!(!Probes::new(None, vec![]).run().ok);
    }
}
