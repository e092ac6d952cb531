//! onshi-fallback: keeps a clinic working while オンライン資格確認 (online eligibility
//! verification) and 電子処方箋 are down.
//!
//! The library holds every rule and all data access; the binary (`src/main.rs`) is a thin
//! command line and desktop app on top of it. Data flows one way: front end → services → store.

pub mod config;
pub mod domain;
pub mod error;
#[cfg(feature = "gui")]
pub mod gui;
pub mod outage;
pub mod print;
mod private_files;
pub mod qualification;
pub mod reconcile;
pub mod service;
pub mod store;
