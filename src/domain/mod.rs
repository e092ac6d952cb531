//! Pure types and rules of the clinic's outage day. No I/O here.

pub mod access;
pub mod claim;
pub mod copay;
pub mod form_codes;
pub mod ids;
pub mod intake;
pub mod numbers;
pub mod prescription;
pub mod text;
pub mod types;
pub mod wareki;

pub use types::*;
