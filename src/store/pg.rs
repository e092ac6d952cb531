//! The records on the clinic's PostgreSQL server, for clinics with several PCs.
//!
//! SQLite's guarantees, kept across PCs: every write transaction first takes one advisory lock
//! (as BEGIN IMMEDIATE takes SQLite's write lock), so writers queue one behind the other; visit
//! numbers and the audit chain's head are drawn under it, and no two writers ever append to
//! the chain at once. Reads see one snapshot (REPEATABLE READ). Each commit notifies
//! [`CHANNEL`], so the other PCs learn of a change at once.

use std::sync::Mutex;
use std::time::Duration;

use super::engine::{PgConn, Tx};
use super::schema_pg;
use crate::error::{Error, Result};

/// The advisory lock every write transaction takes: one writer at a time on the records.
const WRITE_LOCK: i64 = 0x6f6e_7368_6901;
/// The advisory lock a reconciliation pass holds for its whole run (one pass at a time).
const PASS_LOCK: i64 = 0x6f6e_7368_6902;
/// The channel each commit notifies, with the audit chain's new head as its payload.
pub const CHANNEL: &str = "onshi_fallback_changes";
/// How long a PC waits for the server before saying it cannot be reached.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

pub struct PgStore {
    server: Server,
    conn: Mutex<PgConn>,
}

impl PgStore {
    /// Connects to `url` and brings the schema up to date. `password` is the settings file's,
    /// used when the environment gives none.
    pub fn open(url: &str, password: Option<&str>) -> Result<PgStore> {
        let server = Server {
            url: url.to_string(),
            password: password.map(str::to_string),
        };
        let store = PgStore {
            conn: Mutex::new(PgConn::new(server.connect()?)),
            server,
        };
        store.migrate()?;
        Ok(store)
    }

    pub fn server(&self) -> &Server {
        &self.server
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PgConn> {
        PgConn::lock(&self.conn)
    }

    /// Starts a transaction with `begin`, reconnecting first when the server dropped the
    /// connection since the last one (a restarted server, a network that came back).
    fn begin(&self, begin: &str) -> Result<()> {
        let mut conn = self.lock();
        if conn.client().is_closed() {
            *conn = PgConn::new(self.server.connect()?);
        }
        Ok(conn.client().batch_execute(begin)?)
    }

    /// Ends the transaction begun by [`begin`](Self::begin): committed when `f` succeeded,
    /// rolled back otherwise (nothing of a failed write lands).
    fn finish<T>(&self, value: Result<T>) -> Result<T> {
        let mut conn = self.lock();
        match value {
            Ok(v) => {
                conn.client().batch_execute("COMMIT")?;
                Ok(v)
            }
            Err(e) => {
                let _ = conn.client().batch_execute("ROLLBACK");
                Err(e)
            }
        }
    }

    /// One write transaction, writers queued on [`WRITE_LOCK`]. Its commit notifies the other
    /// PCs.
    pub fn write<T>(&self, f: impl FnOnce(&Tx<'_>) -> Result<T>) -> Result<T> {
        self.begin(&format!(
            "BEGIN ISOLATION LEVEL READ COMMITTED; SELECT pg_advisory_xact_lock({WRITE_LOCK})"
        ))?;
        let value = f(&Tx::pg(&self.conn)).and_then(|v| {
            // Delivered at commit, and only if it commits.
            Tx::pg(&self.conn).execute_batch(&format!("NOTIFY {CHANNEL}"))?;
            Ok(v)
        });
        self.finish(value)
    }

    /// One read-only transaction on a single snapshot.
    pub fn read<T>(&self, f: impl FnOnce(&Tx<'_>) -> Result<T>) -> Result<T> {
        self.begin("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")?;
        let value = f(&Tx::pg(&self.conn));
        self.finish(value)
    }

    /// Runs `sql` on its own, outside any transaction of the app's.
    pub fn execute_batch(&self, sql: &str) -> Result<()> {
        Ok(self.lock().client().batch_execute(sql)?)
    }

    pub fn schema_version(&self) -> Result<i64> {
        self.read(|tx| match tx.has_table("onshi_schema")? {
            false => Ok(0),
            true => tx.value("SELECT version FROM onshi_schema", &[]),
        })
    }

    /// Applies the migrations the database lacks, all in one transaction (PostgreSQL's DDL is
    /// transactional): the old schema or the new, never half. Versions count as SQLite's do.
    fn migrate(&self) -> Result<()> {
        let latest = schema_pg::MIGRATIONS.len() as i64;
        if self.schema_version()? == latest {
            return Ok(());
        }
        self.write(|tx| {
            tx.execute_batch(schema_pg::BOOTSTRAP)?;
            let version: i64 = tx.value("SELECT version FROM onshi_schema", &[])?;
            if version > latest {
                return Err(Error::NewerSchema { version });
            }
            for (n, sql) in (version + 1..).zip(&schema_pg::MIGRATIONS[version as usize..]) {
                tx.execute_batch(sql)?;
                if n == super::identity::MIGRATION {
                    super::identity::fill(tx)?;
                }
            }
            tx.execute(
                "UPDATE onshi_schema SET version = ?1",
                super::params![latest],
            )?;
            Ok(())
        })
    }

    /// A connection of its own holding the pass lock: dropping it (or the process ending,
    /// however it ends) releases the lock.
    pub fn lock_pass(&self) -> Result<postgres::Client> {
        let mut client = self.server.connect()?;
        let got: bool = client
            .query_one("SELECT pg_try_advisory_lock($1)", &[&PASS_LOCK])?
            .get(0);
        if got {
            Ok(client)
        } else {
            Err(Error::refused(
                "別の照合が実行中です。終わってからもう一度実行してください",
                "another reconciliation pass is running on this database",
            ))
        }
    }
}

/// The clinic's server as this PC reaches it: its URL and the settings' password. Each
/// connection of its own (a listener, the day's copy, the pass lock) is made from it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Server {
    pub url: String,
    pub password: Option<String>,
}

impl Server {
    pub fn connect(&self) -> Result<postgres::Client> {
        connect(&self.url, self.password.as_deref())
    }
}

/// A connection of its own that waits for commits on the server (any PC's, this one's too):
/// what lets a window show another PC's change at once instead of at its next re-read.
pub struct ChangeListener {
    client: postgres::Client,
}

impl ChangeListener {
    pub fn connect(server: &Server) -> Result<ChangeListener> {
        let mut client = server.connect()?;
        client.batch_execute(&format!("LISTEN {CHANNEL}"))?;
        Ok(ChangeListener { client })
    }

    /// Waits up to `timeout` for a commit; true when there was one (several at once count as
    /// one). An error means the connection is lost: connect anew.
    pub fn wait(&mut self, timeout: Duration) -> Result<bool> {
        use postgres::fallible_iterator::FallibleIterator;
        let mut notifications = self.client.notifications();
        let got = notifications.timeout_iter(timeout).next()?.is_some();
        while notifications.iter().next()?.is_some() {}
        Ok(got)
    }
}

/// True for a database named by URL (`postgresql://…` or `postgres://…`) rather than a file.
pub fn is_url(db: &str) -> bool {
    db.starts_with("postgresql://") || db.starts_with("postgres://")
}

/// Connects without TLS (a clinic's LAN; see the README for the server's `pg_hba.conf`). The
/// password never comes from the command line: `PGPASSWORD`, the `~/.pgpass` file
/// (`%APPDATA%\postgresql\pgpass.conf` on Windows), or else `fallback` (the settings file's).
pub fn connect(url: &str, fallback: Option<&str>) -> Result<postgres::Client> {
    let mut config: postgres::Config = url.parse().map_err(|e: postgres::Error| {
        Error::field(
            "--db",
            "データベース",
            format!("PostgreSQL の接続先が読めません（postgresql://ユーザー@ホスト:ポート/データベース名 の形で指定してください）: {e}"),
            format!("cannot read the PostgreSQL URL (postgresql://user@host:port/dbname): {e}"),
        )
    })?;
    if config.get_password().is_some() {
        return Err(Error::field(
            "--db",
            "データベース",
            "パスワードを接続先に書かないでください。PGPASSWORD か .pgpass（または設定ファイル）に置いてください",
            "do not put the password in the URL: use PGPASSWORD or .pgpass (or the settings file)",
        ));
    }
    if let Some(password) = password_for(&config).or(fallback.map(str::to_string)) {
        config.password(password);
    }
    config.connect_timeout(CONNECT_TIMEOUT);
    if config.get_application_name().is_none() {
        config.application_name("onshi-fallback");
    }
    Ok(config.connect(postgres::NoTls)?)
}

/// The password for `config`: `PGPASSWORD`, else the first matching line of the pgpass file.
fn password_for(config: &postgres::Config) -> Option<String> {
    if let Ok(p) = std::env::var("PGPASSWORD") {
        return Some(p);
    }
    let file = match std::env::var_os("PGPASSFILE") {
        Some(f) => std::path::PathBuf::from(f),
        None => pgpass_default()?,
    };
    let text = std::fs::read_to_string(file).ok()?;
    let host = match config.get_hosts().first() {
        Some(postgres::config::Host::Tcp(h)) => h.clone(),
        _ => "localhost".into(),
    };
    let port = config
        .get_ports()
        .first()
        .copied()
        .unwrap_or(5432)
        .to_string();
    let db = config.get_dbname().unwrap_or_default();
    let user = config.get_user().unwrap_or_default();
    pgpass_lookup(&text, [&host, &port, db, user])
}

fn pgpass_default() -> Option<std::path::PathBuf> {
    if cfg!(windows) {
        Some(std::path::PathBuf::from(std::env::var_os("APPDATA")?).join("postgresql/pgpass.conf"))
    } else {
        Some(std::path::PathBuf::from(std::env::var_os("HOME")?).join(".pgpass"))
    }
}

/// The password of the first `host:port:database:user:password` line matching `want` (`*`
/// matches anything; `\:` and `\\` are a literal colon and backslash).
fn pgpass_lookup(text: &str, want: [&str; 4]) -> Option<String> {
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .find_map(|line| {
            let fields = split_pgpass(line);
            let [h, p, d, u, pw] = fields.as_slice() else {
                return None;
            };
            let matches = [h, p, d, u]
                .iter()
                .zip(want)
                .all(|(f, w)| f.as_str() == "*" || f.as_str() == w);
            matches.then(|| pw.clone())
        })
}

fn split_pgpass(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next() {
                    fields.last_mut().expect("one field").push(n);
                }
            }
            ':' if fields.len() < 5 => fields.push(String::new()),
            c => fields.last_mut().expect("one field").push(c),
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_engines_have_every_migration() {
        assert_eq!(
            schema_pg::MIGRATIONS.len(),
            super::super::schema::MIGRATIONS.len()
        );
    }

    #[test]
    fn pgpass_lines_match_field_by_field() {
        let text =
            "# comment\nother:5432:*:*:no\nserver:5432:clinic:onshi:s\\:ecret\n*:*:*:*:any\n";
        assert_eq!(
            pgpass_lookup(text, ["server", "5432", "clinic", "onshi"]).as_deref(),
            Some("s:ecret")
        );
        assert_eq!(
            pgpass_lookup(text, ["laptop", "5432", "clinic", "onshi"]).as_deref(),
            Some("any")
        );
        assert_eq!(pgpass_lookup("a:b:c", ["a", "b", "c", "d"]), None);
    }

    #[test]
    fn a_password_in_the_url_is_refused() {
        let err = connect("postgresql://onshi:secret@127.0.0.1:1/clinic", None)
            .err()
            .expect("refused");
        assert!(err.is_bad_input(), "{err}");
        assert!(err.ja().contains("パスワード"), "{err}");
        assert!(is_url("postgresql://a@b/c") && !is_url("/tmp/clinic.sqlite3"));
    }
}
