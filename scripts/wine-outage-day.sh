#!/usr/bin/env bash
# The Windows build, proven under Wine: builds the exe (or takes EXE_DIR), then runs an outage
# day with the Windows command line against a database in a C:\ folder whose names hold spaces
# and Japanese: init, the default database's place, outage start, intakes (new, 不詳,
# returning), a prescription to PDF (checked here on Linux: A5, its text, the 2D symbol read
# back with zbar), the terminal simulator on a C:\ folder with the outage ended and
# reconciliation, audit verify, backup and restore; then opens the desktop exe under Xvfb and
# takes a screenshot. Any step that fails fails the script (exit 1): nothing is skipped.
#
# Test only: Debian 12's Wine lacks bcryptprimitives.dll (ProcessPrng, which Rust's standard
# library imports), so a stand-in built from scripts/wine/ is put beside the exe in the Wine
# prefix. It is never packed: real Windows has the DLL.
#
# Needs: gcc-mingw-w64-x86-64, wine64, xvfb, imagemagick, xdotool, poppler-utils, zbar-tools,
# python3.
# Environment: PROFILE (cargo profile that scripts/build-windows.sh builds and zips, default
# release; the run uses the exes unpacked from that zip), EXE_DIR (a folder holding
# onshi-fallback.exe and onshi-fallback-desktop.exe instead: no build), OUT (where the log, the PDF and
# the screenshot go, default dist/wine-run), WINE (default /usr/lib/wine/wine64, else wine64 or
# wine on PATH), KEEP=1 (keep the Wine prefix and its C: drive).
# Usage: scripts/wine-outage-day.sh
set -euo pipefail
cd "$(dirname "$0")/.."

target=x86_64-pc-windows-gnu
profile=${PROFILE:-release}
out=${OUT:-dist/wine-run}
t_start=$SECONDS

fail() {
  echo "FAILED: $*" >&2
  exit 1
}
say() { printf '%-28s %s\n' "$1" "$2"; }

for tool in x86_64-w64-mingw32-gcc x86_64-w64-mingw32-objdump Xvfb import convert xdotool \
  pdfinfo pdftotext pdftoppm zbarimg python3; do
  command -v "$tool" >/dev/null || fail "missing $tool (see the packages named at the top)"
done
wine=${WINE:-}
if [ -z "$wine" ]; then
  if [ -x /usr/lib/wine/wine64 ]; then
    wine=/usr/lib/wine/wine64
  else
    wine=$(command -v wine64 || command -v wine || true)
  fi
fi
[ -n "$wine" ] && [ -x "$wine" ] || fail "no wine (apt-get install wine64)"
wineserver=$(dirname "$wine")/wineserver
[ -x "$wineserver" ] || wineserver=$(command -v wineserver || echo wineserver)

# --- The exe -------------------------------------------------------------------------------
# By default the zip that scripts/build-windows.sh packs, unpacked: what a clinic installs.
work=$(mktemp -d /tmp/onshi-wine.XXXXXX)
trap 'rm -rf "$work"' EXIT
if [ -n "${EXE_DIR:-}" ]; then
  exe_dir=$EXE_DIR
else
  t0=$SECONDS
  PROFILE=$profile scripts/build-windows.sh | tee "$work/build.txt"
  zip=$(tail -n1 "$work/build.txt")
  [ -f "$zip" ] || fail "scripts/build-windows.sh made no zip"
  say "windows build + zip" "$((SECONDS - t0)) s ($profile): $zip, $(stat -c %s "$zip") bytes"
  python3 -m zipfile -e "$zip" "$work/unzipped"
  exe_dir=$(echo "$work"/unzipped/*/)
  [ -f "$exe_dir/はじめにお読みください.txt" ] || fail "the zip lacks はじめにお読みください.txt"
  if ls "$exe_dir" | grep -qi '\.dll$'; then fail "the zip holds a DLL"; fi
fi
for exe in onshi-fallback onshi-fallback-desktop; do
  [ -f "$exe_dir/$exe.exe" ] || fail "no $exe_dir/$exe.exe"
done
# The command line is a console program, the desktop one is not (no console window).
subsystem() { x86_64-w64-mingw32-objdump -p "$1" | sed -n 's/^Subsystem[[:space:]]*//p'; }
subsystem "$exe_dir/onshi-fallback.exe" | grep -q 'Windows CUI' || fail "onshi-fallback.exe is not a console program"
subsystem "$exe_dir/onshi-fallback-desktop.exe" | grep -q 'Windows GUI' || fail "onshi-fallback-desktop.exe is not a GUI program"
say "subsystems" "onshi-fallback.exe console, onshi-fallback-desktop.exe GUI"

# --- A Wine prefix of its own --------------------------------------------------------------
mkdir -p "$out"
out=$(cd "$out" && pwd)
log=$out/wine-run.log
: >"$log"
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  WINEPREFIX=$work/prefix "$wineserver" -k 2>/dev/null || true
  if [ "${KEEP:-}" = 1 ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
export WINEPREFIX=$work/prefix WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=" \
  LANG=C.UTF-8 LC_ALL=C.UTF-8 TZ=Asia/Tokyo
unset DISPLAY
t0=$SECONDS
"$wine" wineboot -i </dev/null >>"$log" 2>&1 || fail "wineboot"
"$wineserver" -w
say "wine prefix" "$((SECONDS - t0)) s ($("$wine" --version 2>/dev/null || echo wine))"

c=$WINEPREFIX/drive_c
# C:\... -> the Linux path of that file in the prefix.
unix() {
  local p=${1#C:\\}
  echo "$c/${p//\\//}"
}
app='C:\アプリ\onshi fallback'
mkdir -p "$(unix "$app")"
cp "$exe_dir/onshi-fallback.exe" "$exe_dir/onshi-fallback-desktop.exe" "$(unix "$app")/"
x86_64-w64-mingw32-gcc -shared -O2 -o "$(unix "$app")/bcryptprimitives.dll" \
  scripts/wine/bcryptprimitives.c scripts/wine/bcryptprimitives.def -ladvapi32

dir='C:\診療 データ\受付 PC'
db="$dir\\clinic.sqlite3"
cfg="$dir\\onshi-fallback.toml"
oqs='C:\OQS 端末\共有'
mkdir -p "$(unix "$dir")" "$(unix "$oqs")/req" "$(unix "$oqs")/res"
cat >"$(unix "$cfg")" <<TOML
[clinic]
name = "工業会クリニック"
address = "東京都港区新橋1-11-1"
postal_code = "105-0004"
phone = "03-0000-0000"
prefecture_code = "13"
fee_table = "1"
institution_code = "1234567"
doctors = ["工業会 次郎"]

[qualification]
kind = "oqs-folder"
root = '$oqs'
timeout_s = 30
medical_institution_code = "1311234567"

[reconcile]
delay_ms = 0
TOML
cp examples/intake-new.json examples/intake-fushou.json "$(unix "$dir")/"
cat >"$(unix "$dir")/rx.json" <<JSON
{"visit_id": "V1", "doctor": "工業会 次郎", "issued_on": "$(TZ=Asia/Tokyo date +%F)",
 "rps": [{"form": "internal", "usage": "1日1回朝食後", "days": 28,
          "drugs": [{"name": "アムロジピン錠5mg", "amount": "1", "unit": "錠"}]}]}
JSON
# The terminal knows 山田 太郎 with the insurance he declares (examples/intake-new.json).
cat >"$(unix "$dir")/roster.toml" <<'TOML'
[[person]]
insurer_number = "01130012"
insurer_name = "協会けんぽ東京支部"
symbol = "12-34"
number = "5678"
branch = "01"
birth_date = "1970-03-01"
name = "山田 太郎"
kana = "ﾔﾏﾀﾞ ﾀﾛｳ"
sex = "male"
relationship = "self"
validity = "valid"
copay = "030"
TOML

# Runs the Windows command line; its stdout is kept in $out/<name>.out (and echoed to the log).
n=0
of() {
  local name=$1
  shift
  n=$((n + 1))
  local rc=0
  echo "### $n $name: onshi-fallback.exe $*" >>"$log"
  "$wine" "$(unix "$app")/onshi-fallback.exe" --db "$db" --config "$cfg" "$@" \
    <"/dev/null" >"$work/$name.out" 2>"$work/$name.err" || rc=$?
  cat "$work/$name.out" "$work/$name.err" >>"$log"
  if [ "$rc" != 0 ]; then
    cat "$work/$name.err" >&2
    fail "$name: exit $rc"
  fi
  # A warning that something did not happen fails the run as well (the daily backup once
  # failed on every Windows command while each still exited 0).
  if grep -q 'に失敗しました' "$work/$name.err"; then
    cat "$work/$name.err" >&2
    fail "$name: warned of a failure"
  fi
}
# A field of the JSON answer of step $1: json NAME 'python expression on d'.
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$work/$1.out"; }
reception=(--staff "受付 佐藤")

# --- The outage day ------------------------------------------------------------------------
t_day=$SECONDS
of init "${reception[@]}" init --demo --json
[ -f "$(unix "$db")" ] || fail "init: no database at $db"
say "init --demo" "$db"

# The default database: created on first use in the per-user data folder, as README says.
n=$((n + 1))
echo "### $n default database: onshi-fallback.exe outage status --json" >>"$log"
"$wine" "$(unix "$app")/onshi-fallback.exe" --staff "受付 佐藤" outage status --json \
  </dev/null >>"$log" 2>&1 || fail "outage status on the default database"
default=$(ls "$c"/users/*/AppData/Roaming/onshi-fallback/onshi-fallback/data/onshi-fallback.sqlite3 2>/dev/null | head -n1)
[ -n "$default" ] || fail "no default database under %APPDATA%\\onshi-fallback\\onshi-fallback\\data"
default=%APPDATA%${default#*AppData/Roaming}
say "default database" "${default//\//\\}"

of start "${reception[@]}" outage start --reason "資格確認端末がエラー" --json
of status1 "${reception[@]}" outage status --json
[ "$(json status1 'd["mode"]')" = degraded ] || fail "outage start: not degraded"
started=$(json status1 'd["outage"]["started_at"]')
case $started in *+09:00) ;; *) fail "the outage's start is not in JST: $started" ;; esac
say "outage start" "degraded since $started"

of new "${reception[@]}" intake --json "$dir\\intake-new.json"
of fushou "${reception[@]}" intake --json "$dir\\intake-fushou.json"
of returning "${reception[@]}" intake --returning P1 --basis returning_no_change
say "intake new" "$(json new 'd["visit_id"], d["visit_no"], d["patient_id"]')"
say "intake 不詳" "$(json fushou 'd["visit_id"], d["visit_no"], d["patient_id"]')"
say "intake returning P1" "$(json returning 'd["visit_id"], d["visit_no"], len(d["warnings"]), "warning(s)"')"
of search "${reception[@]}" patients search やまだ --json
grep -q '山田 太郎' "$work/search.out" || fail "patients search やまだ does not find 山田 太郎"

# --- A prescription to PDF, checked on Linux -------------------------------------------------
pdf_dir='C:\処方箋 出力'
mkdir -p "$(unix "$pdf_dir")"
of prescribe --staff "工業会 次郎" prescribe --json "$dir\\rx.json" --out "$pdf_dir\\処方箋 V1.pdf"
rx=$(unix "$pdf_dir")/"処方箋 V1.pdf"
[ -s "$rx" ] || fail "prescribe wrote no PDF"
cp "$rx" "$out/prescription.pdf"
archived=$(ls "$(unix "$dir")"/archive/*/rx-*-RX1-*.pdf 2>/dev/null | grep -v reissue | head -n1)
[ -n "$archived" ] || fail "no archived copy under archive\\<year>\\ beside the database"
pdfinfo "$rx" >"$work/pdfinfo.txt"
# A5 is 148 × 210 mm: 419.53 × 595.28 pt.
grep -Eq '^Page size: +419\.5[0-9]* x 595\.2[0-9]* pts' "$work/pdfinfo.txt" ||
  fail "not A5: $(grep 'Page size' "$work/pdfinfo.txt")"
pdftotext -layout "$rx" "$work/rx.txt"
for want in 山田 アムロジピン錠5mg 工業会クリニック 28日分; do
  grep -q "$want" "$work/rx.txt" || fail "the PDF's text lacks $want"
done
pdftoppm -r 300 -gray -png "$rx" "$work/rx"
zbarimg -q --raw "$work"/rx*.png >"$work/qr.txt" 2>>"$log" || fail "zbar read no 2D symbol in the PDF"
grep -q '^JAHIS10' "$work/qr.txt" || fail "the symbol is not a JAHIS10 payload: $(head -c 80 "$work/qr.txt")"
grep -q 'アムロジピン' "$work/qr.txt" || fail "the symbol lacks the drug"
say "prescribe (RX1)" "$(pdfinfo "$rx" | sed -n 's/^Page size: *//p'), $(stat -c %s "$rx") bytes, archived as ${archived##*/}"
say "2D symbol (zbar)" "$(head -n1 "$work/qr.txt" | tr -d '\r') … $(wc -l <"$work/qr.txt") lines"

# --- The line is back: the terminal (simulated, under Wine) answers in C:\OQS 端末\共有 -----
echo "### simulate-terminal --root $oqs" >>"$log"
"$wine" "$(unix "$app")/onshi-fallback.exe" simulate-terminal --root "$oqs" \
  --roster "$dir\\roster.toml" </dev/null >>"$work/simulator.log" 2>&1 &
pids+=($!)
of end "${reception[@]}" outage end --note "回線認証を再実施して復旧" --json
of status2 "${reception[@]}" outage status --json
[ "$(json status2 'd["mode"]')" = normal ] || fail "outage end: not normal"
say "outage end" "normal, queued $(json status2 'd["queued"]')"
of probe "${reception[@]}" probe --json
of reconcile --staff "請求 田中" reconcile --json
cat "$work/reconcile.err" >>"$work/simulator.log"
statuses=$(python3 - "$work/reconcile.out" <<'PY'
import json, sys
from collections import Counter
d = json.load(open(sys.argv[1]))
rows = d["results"]
print(" ".join(f"{k}={v}" for k, v in sorted(Counter(r["status"] for r in rows).items())))
PY
)
say "reconcile" "$statuses"
case $statuses in *match=2*) ;; *) fail "reconcile: expected V1 and V3 to match the terminal: $statuses" ;; esac
case $statuses in *needs_manual=1*) ;; *) fail "reconcile: expected the 不詳 visit to need a person: $statuses" ;; esac
kill "${pids[@]}" 2>/dev/null || true

# --- Records: audit, backup, restore ---------------------------------------------------------
of audit1 --staff "管理 一郎" audit verify --json
say "audit verify" "$(json audit1 '"ok" if d["problem"] is None else d["problem"], d["entries"], "entries,", d["records_checked"], "records"')"
backup="$dir\\バックアップ 1.sqlite3"
of backup --staff "管理 一郎" backup "$backup" --json
[ -s "$(unix "$backup")" ] || fail "backup wrote nothing"
of restore --staff "管理 一郎" restore "$backup" --json
ls "$(unix "$dir")"/clinic.sqlite3.replaced-* >/dev/null 2>&1 || fail "restore set no damaged/old file aside"
of audit2 --staff "管理 一郎" audit verify --json
of status3 "${reception[@]}" outage status --json
say "backup + restore" "$(stat -c %s "$(unix "$backup")") bytes; set aside $(cd "$(unix "$dir")" && ls -d clinic.sqlite3.replaced-* | head -n1)"
say "after restore" "audit $(json audit2 '"ok" if d["problem"] is None else d["problem"]'), mode $(json status3 'd["mode"]')"
daily=$(ls "$(unix "$dir")"/backups/onshi-fallback-*.sqlite3 2>/dev/null | head -n1)
[ -n "$daily" ] || fail "no daily backup in backups\\ beside the database"
say "daily backup" "backups\\${daily##*/}, $(stat -c %s "$daily") bytes"
say "outage day under wine" "$((SECONDS - t_day)) s, $n commands"

# --- The window, under Xvfb ------------------------------------------------------------------
# The Wine session above started without a display; end it, or the window would go there.
"$wineserver" -k 2>/dev/null || true
"$wineserver" -w
display=
for d in $(seq 90 140); do
  [ -e "/tmp/.X11-unix/X$d" ] || [ -e "/tmp/.X$d-lock" ] || {
    display=$d
    break
  }
done
[ -n "$display" ] || fail "no free X display"
Xvfb ":$display" -screen 0 1366x768x24 -nolisten tcp >>"$log" 2>&1 &
pids+=($!)
export DISPLAY=:$display
for _ in $(seq 50); do [ -e "/tmp/.X11-unix/X$display" ] && break; sleep 0.1; done
t0=$SECONDS
"$wine" "$(unix "$app")/onshi-fallback-desktop.exe" --db "$db" --config "$cfg" --staff "受付 佐藤" \
  </dev/null >>"$log" 2>&1 &
pids+=($!)
shot=$out/wine-window.png
drawn=
# The window is drawn when the screen holds more than a handful of colours (text, banner).
for _ in $(seq 120); do
  sleep 1
  import -window root "$shot" 2>/dev/null || continue
  colours=$(convert "$shot" -format %k info: 2>/dev/null || echo 0)
  if [ "$colours" -gt 64 ]; then
    sleep 3 # let it finish drawing
    import -window root "$shot"
    drawn=1
    break
  fi
done
[ -n "$drawn" ] || fail "the desktop window did not appear within 120 s"
say "window (Xvfb)" "drawn after $((SECONDS - t0)) s: $shot"
# Enter on the start screen (the name given with --staff): the reception screen of the day.
xdotool search --sync --onlyvisible --name . windowfocus --sync key Return >>"$log" 2>&1 ||
  fail "xdotool could not press Enter in the window"
sleep 5
shot2=$out/wine-window-reception.png
import -window root "$shot2"
say "window after Enter" "$shot2"
say "total" "$((SECONDS - t_start)) s; log $log"
