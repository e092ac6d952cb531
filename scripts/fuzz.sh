#!/usr/bin/env bash
# Runs every fuzz target for a bounded time (default 20 s each). Needs cargo-fuzz; the stable
# toolchain is allowed nightly flags with RUSTC_BOOTSTRAP=1 (cargo-fuzz needs -Z options).
#
# Each target starts from the committed seeds (fuzz/seeds/<target>/) and from what earlier runs
# found (fuzz/corpus/<target>/, not committed: new inputs are written there only). An input that
# crashes a target is copied into fuzz/regressions/<target>/: commit it with the fix, and
# `cargo test` (tests/it/fuzz_seeds.rs) runs it from then on.
#
# Exit 0 when no target crashed; 1 when one did; 2 when cargo-fuzz is missing.
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
  mkdir -p "corpus/$t" "seeds/$t"
  log="target/fuzz-$t.log"
  start="target/fuzz-$t.start"
  touch "$start"
  if cargo fuzz run -O --sanitizer none "$t" "corpus/$t" "seeds/$t" -- \
    -max_total_time="$secs" -rss_limit_mb=2048 2>"$log"; then
    echo "fuzz $t: $(grep -E '^Done' "$log" | tail -1)"
  else
    echo "fuzz $t: FAILED — see fuzz/$log" >&2
    tail -30 "$log" >&2
    status=1
    # The input libFuzzer wrote (crash-, oom-, timeout-, leak-…), kept as a regression test.
    mkdir -p "regressions/$t"
    found=0
    while IFS= read -r artifact; do
      [ -f "$artifact" ] || continue
      cp "$artifact" "regressions/$t/"
      echo "fuzz $t: crashing input copied to fuzz/regressions/$t/$(basename "$artifact")" \
        "— commit it with the fix (cargo test runs it from then on)" >&2
      found=1
    done < <(find "artifacts/$t" -type f -newer "$start" 2>/dev/null)
    if [ "$found" = 0 ]; then
      echo "fuzz $t: no crashing input was written (build failure?)" >&2
    fi
  fi
done
exit $status
