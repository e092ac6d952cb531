//! The store's tests run on both engines: SQLite (in memory) and PostgreSQL, a new database on
//! the server named by `ONSHI_TEST_PG` (`scripts/pg-test-cluster.sh` starts a throwaway one;
//! `.ci/run` does). Without that variable PostgreSQL is left out, except under CI, where its
//! absence fails the test rather than skipping half of it.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use onshi_fallback::service::Records;
use onshi_fallback::store::Store;

use super::records;

/// Which engine a test's records live on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// The server's URL for tests: `ONSHI_TEST_PG`, required under CI.
pub fn test_server() -> Option<String> {
    match std::env::var("ONSHI_TEST_PG") {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ if std::env::var_os("CI").is_some() => panic!(
            "ONSHI_TEST_PG is not set: under CI the store's tests must run on PostgreSQL too \
             (.ci/run starts a server with scripts/pg-test-cluster.sh)"
        ),
        _ => None,
    }
}

/// A new, empty database on the test server, as a URL: each test gets its own.
pub fn new_pg_database(server: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let name = format!(
        "onshi_test_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    );
    let mut admin = postgres::Client::connect(server, postgres::NoTls)
        .unwrap_or_else(|e| panic!("cannot reach the test server {server}: {e}"));
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .unwrap();
    let (base, _) = server.rsplit_once('/').expect("a URL with a database name");
    format!("{base}/{name}")
}

/// A new, empty store on `engine`.
pub fn new_store(engine: Engine) -> Store {
    match engine {
        Engine::Sqlite => Store::open_in_memory().unwrap(),
        Engine::Postgres => {
            let server = test_server().expect("a test server");
            Store::open_postgres(&new_pg_database(&server)).unwrap()
        }
    }
}

/// The engines this run tests on: SQLite always, PostgreSQL when a test server is given.
pub fn engines() -> Vec<Engine> {
    let mut all = vec![Engine::Sqlite];
    if test_server().is_some() {
        all.push(Engine::Postgres);
    }
    all
}

/// A new demo database (it alone takes the tests' fixed clock) on `engine`, as the command line
/// names it (`--db`): a file in `dir`, or a URL on the test server.
pub fn new_database(engine: Engine, dir: &Path) -> PathBuf {
    match engine {
        Engine::Sqlite => {
            let db = dir.join("clinic.sqlite3");
            drop(super::demo_store(&db));
            db
        }
        Engine::Postgres => {
            let url = new_pg_database(&test_server().expect("a test server"));
            Store::open_postgres(&url)
                .unwrap()
                .write(onshi_fallback::store::meta::mark_demo)
                .unwrap();
            PathBuf::from(url)
        }
    }
}

/// The URL when `db` names a database on a server rather than a file.
pub fn url_of(db: &Path) -> Option<&str> {
    db.to_str().filter(|d| onshi_fallback::store::pg::is_url(d))
}

/// Opens the database `db` names, file or URL.
pub fn open_any(db: &Path) -> Store {
    match url_of(db) {
        Some(url) => Store::open_postgres(url).unwrap(),
        None => Store::open(db).unwrap(),
    }
}

/// Runs `test` once per engine, naming the engine when it fails.
pub fn for_each_engine(test: impl Fn(Engine)) {
    for engine in engines() {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| test(engine)));
        if let Err(e) = result {
            eprintln!("failed on {engine:?}");
            std::panic::resume_unwind(e);
        }
    }
}

/// Runs `test` on new, empty records on each engine in turn, naming the engine when it fails.
pub fn on_each_engine(test: impl Fn(Records, Engine)) {
    for engine in engines() {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            test(records(new_store(engine)), engine)
        }));
        if let Err(e) = result {
            eprintln!("failed on {engine:?}");
            std::panic::resume_unwind(e);
        }
    }
}

/// Drops the guard trigger `trigger` on `table`, as an attacker with access to the database
/// would before changing what it protects.
pub fn drop_guard(store: &Store, trigger: &str, table: &str) {
    let sql = if store.is_postgres() {
        format!("DROP TRIGGER {trigger} ON {table}")
    } else {
        format!("DROP TRIGGER {trigger}")
    };
    store.execute_outside_app(&sql).unwrap();
}
