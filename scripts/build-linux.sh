#!/usr/bin/env bash
# Builds the Linux release and packs it: dist/onshi-fallback-<version>-linux-x64.tar.gz holding,
# in one folder of that name, the stripped binary (desktop app and command line in one: the
# fonts are built in), README.md, the example settings, the print templates and the font
# licence. PROFILE=name builds another cargo profile (default release).
# Usage: scripts/build-linux.sh        (prints the archive's path last)
set -euo pipefail
cd "$(dirname "$0")/.."

profile=${PROFILE:-release}
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)
name=onshi-fallback-$version-linux-x64

t0=$SECONDS
cargo build --locked --profile "$profile" --bin onshi-fallback
echo "built ($profile) in $((SECONDS - t0)) s"
dir=${CARGO_TARGET_DIR:-target}/$([ "$profile" = dev ] && echo debug || echo "$profile")

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
pkg=$stage/$name
mkdir -p "$pkg/templates"
strip -o "$pkg/onshi-fallback" "$dir/onshi-fallback"
cp README.md examples/onshi-fallback.toml fonts/IPA_Font_License_v1.0.txt "$pkg/"
cp templates/*.toml "$pkg/templates/"

mkdir -p dist
tarball=dist/$name.tar.gz
tar -C "$stage" --owner=0 --group=0 -czf "$tarball" "$name"
ls -l "$pkg/onshi-fallback" "$tarball" | awk '{print $5, $NF}'
echo "$tarball"
