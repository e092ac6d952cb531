#!/usr/bin/env bash
# Runs every fuzz target for a bounded time (default 20 s each). Needs cargo-fuzz; the stable
# toolchain is allowed nightly flags with RUSTC_BOOTSTRAP=1 (cargo-fuzz needs -Z options).
# Exit 0 when no target crashed; 1 when one did (its input is under fuzz/artifacts/).
# Usage: scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
secs=${1:-20}
export RUSTC_BOOTSTRAP=1
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "cargo-fuzz is not installed: cargo install cargo-fuzz --locked" >&2
  exit 2
fi
mkdir -p target
status=0
for t in $(cargo fuzz list); do
  if cargo fuzz run -O "$t" -- -max_total_time="$secs" -rss_limit_mb=2048 2>"target/fuzz-$t.log"; then
    echo "fuzz $t: $(grep -E '^Done' "target/fuzz-$t.log" | tail -1)"
  else
    echo "fuzz $t: FAILED — see fuzz/target/fuzz-$t.log and fuzz/artifacts/$t/" >&2
    tail -30 "target/fuzz-$t.log" >&2
    status=1
  fi
done
exit $status
