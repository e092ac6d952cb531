//! Moving a clinic's records between stores: `store copy` (SQLite file ⇄ PostgreSQL server),
//! and `store copy --merge` (a PC's records made apart brought back).

use std::path::Path;

use crate::config::Config;
use crate::error::Result;
use crate::store::{self, copy::CopyReport, merge::MergeReport, Store};

/// Copies every record of `from` into `to` (each a SQLite file or a `postgresql://` URL):
/// `from` must exist and verify; `to` must be new (a file not there yet) or empty (a
/// database on the server with no records). See [`store::copy::copy`].
pub fn store_copy(config: &Config, from: &str, to: &str) -> Result<CopyReport> {
    let source = if store::pg::is_url(from) {
        open_server(config, from)?
    } else {
        Store::open_readonly(Path::new(from))?
    };
    let mut destination = if store::pg::is_url(to) {
        open_server(config, to)?
    } else {
        let path = Path::new(to);
        Store::create(path, &super::backup_dir(config, path))?
    };
    store::copy::copy(&source, &mut destination)
}

/// Opens an existing store for a merge, brought to this version's schema (a file with a
/// pre-migration backup beside it, as every opening does).
pub fn open_existing(config: &Config, spec: &str) -> Result<Store> {
    if store::pg::is_url(spec) {
        open_server(config, spec)
    } else {
        let path = Path::new(spec);
        Store::open_with_backups(path, &super::backup_dir(config, path))
    }
}

/// Merges the records `from` (a PC that carried on from a backup) made apart into `to`, as
/// `by`. See [`store::merge::merge`].
pub fn store_merge(from: &Store, to: &mut Store, by: &str) -> Result<MergeReport> {
    store::merge::merge(from, to, by)
}

fn open_server(config: &Config, url: &str) -> Result<Store> {
    Store::open_postgres_with(url, config.store.password())
}
