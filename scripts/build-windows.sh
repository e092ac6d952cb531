#!/usr/bin/env bash
# Cross-builds the Windows app from Linux and packs it for the clinic's PC:
#   dist/onshi-fallback-<version>-windows-x64.zip
# holding, in one folder of that name: onshi-fallback.exe (the command line, a console program),
# onshi-fallback-desktop.exe (the same program without a console window: for the desktop
# shortcut), both stripped; the example settings; the print templates; the font licence; and
# はじめにお読みください.txt (install, where the files live, the terminal folder, printing).
#
# Needs: rustup's x86_64-pc-windows-gnu target and Debian's gcc-mingw-w64-x86-64 (the linker is
# named in .cargo/config.toml), python3 (for a zip whose Japanese file names Windows reads as
# UTF-8). PROFILE=name builds another cargo profile (default release).
# Usage: scripts/build-windows.sh        (prints the zip's path last)
set -euo pipefail
cd "$(dirname "$0")/.."

target=x86_64-pc-windows-gnu
profile=${PROFILE:-release}
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)
name=onshi-fallback-$version-windows-x64
# Another profile than release (a test build) is named so, never taken for the release zip.
[ "$profile" = release ] || name=$name-$profile

for tool in x86_64-w64-mingw32-gcc x86_64-w64-mingw32-strip python3; do
  command -v "$tool" >/dev/null || {
    echo "missing $tool: apt-get install gcc-mingw-w64-x86-64 python3" >&2
    exit 1
  }
done
rustup target list --installed | grep -qx "$target" || rustup target add "$target"

t0=$SECONDS
cargo build --locked --profile "$profile" --target "$target" --bins
echo "built ($profile) in $((SECONDS - t0)) s"

# cargo's folder for the dev profile is debug/, for every other its own name.
dir=${CARGO_TARGET_DIR:-target}/$target/$([ "$profile" = dev ] && echo debug || echo "$profile")

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
pkg=$stage/$name
mkdir -p "$pkg/templates"
for exe in onshi-fallback onshi-fallback-desktop; do
  x86_64-w64-mingw32-strip -o "$pkg/$exe.exe" "$dir/$exe.exe"
done
# Text for Windows: CRLF line ends (Notepad of any age), the same bytes otherwise (UTF-8).
crlf() { sed 's/\r$//; s/$/\r/' "$1" >"$2"; }
crlf examples/onshi-fallback.toml "$pkg/onshi-fallback.toml"
for t in templates/*.toml; do crlf "$t" "$pkg/$t"; done
crlf fonts/IPA_Font_License_v1.0.txt "$pkg/IPA_Font_License_v1.0.txt"
# The reader's guide with a UTF-8 byte order mark, so older Notepad does not guess Shift_JIS.
{
  printf '\xef\xbb\xbf'
  sed 's/\r$//; s/$/\r/' scripts/windows/readme-ja.txt | sed "s/@VERSION@/$version/g"
} >"$pkg/はじめにお読みください.txt"

mkdir -p dist
zip=dist/$name.zip
rm -f "$zip"
# Python's zipfile marks non-ASCII names as UTF-8 (flag bit 11), which Windows' own unzip
# honours; without it Japanese Windows would read the names as Shift_JIS.
(cd "$stage" && python3 -m zipfile -c "$OLDPWD/$zip" "$name")
ls -l "$pkg"/*.exe "$zip" | awk '{print $5, $NF}'
echo "$zip"
