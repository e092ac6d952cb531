//! Degraded mode: the runbook staff follow, the probes that notice the line is down, and the
//! watcher that switches mode on their evidence.

pub mod probe;
pub mod runbook;
pub mod watch;
