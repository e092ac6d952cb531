#!/usr/bin/env bash
# End-to-end IME check in onshi-fallback's real window, built from the steps of
# the shared tools' ime-test.sh (Xvfb, private dbus, fcitx5+mozc over XIM on-the-spot, winit XIC
# re-focus work-around), with a 1366x768 screen and the app's own route:
# start screen "sato" -> Enter -> 受付 search field: yamada/Space/Return (check 山田)
# -> clear -> F7 -> 氏名: yamada/Space/Space(candidate list)/Up/Return (check 山田)
# -> fill the form minimally (IME off) -> Enter saves -> check the database via the CLI.
# Screenshots + logs are kept in $W (printed); 20-name-*.png show where the candidate window
# opens: below the 氏名 field's text (src/gui/ime.rs), not over it.
# Usage: scripts/ime-check.sh [APP]  — as root (the IM stack runs as nobody); needs xvfb
# x11-utils xdotool imagemagick dbus-daemon fcitx5 fcitx5-mozc (Debian packages).
set -u
APP=${1:-target/debug/onshi-fallback}
W=$(mktemp -d /tmp/ime-onshi.XXXXXX); chmod 755 "$W"; echo "work dir: $W"
DB=$W/db.sqlite3
ONSHI_FALLBACK_DB=$DB "$APP" init --demo >/dev/null 2>&1 || { echo "init failed"; exit 2; }
PIDS=()
cleanup() {
  for ((i=${#PIDS[@]}-1; i>=0; i--)); do kill "${PIDS[i]}" 2>/dev/null; done; sleep 0.5
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  for p in $(pgrep -x mozc_server 2>/dev/null); do grep -qz "HOME=$W/home" /proc/$p/environ 2>/dev/null && kill "$p" 2>/dev/null; done
}
trap cleanup EXIT
mkdir -p "$W/home/.config/fcitx5/conf" "$W/runtime" "$W/shots"; chmod 700 "$W/runtime"
IMUID=65534; ASIM=(setpriv --reuid="$IMUID" --regid="$IMUID" --clear-groups)
export HOME=$W/home XDG_CONFIG_HOME=$W/home/.config XDG_DATA_HOME=$W/home/.local/share \
       XDG_CACHE_HOME=$W/home/.cache XDG_RUNTIME_DIR=$W/runtime LANG=C.UTF-8 LC_ALL=C.UTF-8 DISPLAY=${DISP:-:77}
printf '[Groups/0]\nName=Default\nDefault Layout=us\nDefaultIM=mozc\n\n[Groups/0/Items/0]\nName=keyboard-us\nLayout=\n\n[Groups/0/Items/1]\nName=mozc\nLayout=\n\n[GroupOrder]\n0=Default\n' > "$XDG_CONFIG_HOME/fcitx5/profile"
printf 'UseOnTheSpot=True\n' > "$XDG_CONFIG_HOME/fcitx5/conf/xim.conf"
chown -R "$IMUID:$IMUID" "$W/home" "$W/runtime"
Xvfb "$DISPLAY" -screen 0 1366x768x24 -nolisten tcp >"$W/xvfb.log" 2>&1 & PIDS+=($!)
for i in $(seq 50); do xdpyinfo >/dev/null 2>&1 && break; sleep 0.1; done
cat > "$W/dbus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>session</type><listen>unix:path=$W/runtime/bus</listen>
  <policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy>
</busconfig>
EOF
"${ASIM[@]}" dbus-daemon --config-file="$W/dbus.conf" --nofork --nopidfile >"$W/dbus.log" 2>&1 & PIDS+=($!)
export DBUS_SESSION_BUS_ADDRESS=unix:path=$W/runtime/bus
for i in $(seq 50); do [ -S "$W/runtime/bus" ] && break; sleep 0.1; done
for try in 1 2 3; do
  "${ASIM[@]}" fcitx5 -D --disable=wayland,waylandim,notificationitem,kimpanel --verbose='*=4,xim=5,key_trace=5' >"$W/fcitx5.log" 2>&1 &
  FPID=$!
  for i in $(seq 50); do xprop -root XIM_SERVERS 2>/dev/null | grep -q fcitx && break; sleep 0.1; done
  xprop -root XIM_SERVERS 2>/dev/null | grep -q fcitx && break
  kill $FPID; sleep 0.5; kill -9 $FPID 2>/dev/null
done
PIDS+=($FPID)
export XMODIFIERS=@im=fcitx
ONSHI_FALLBACK_DB=$DB "$APP" >"$W/app.out" 2>"$W/app.err" & APP_PID=$!; PIDS+=($APP_PID)
WID=; for i in $(seq 150); do WID=$(xdotool search --onlyvisible --pid "$APP_PID" 2>/dev/null | head -1); [ -n "$WID" ] && break; sleep 0.1; done
[ -n "$WID" ] || { echo "no window"; exit 2; }
sleep 1.5
ROOT=$(xwininfo -root | awk '/Window id:/{print $4}')
shot() { import -window root "$W/shots/$1.png"; echo "  shot $W/shots/$1.png"; }
popup() { xwininfo -root -tree | grep 'Fcitx5 Input Window' | sed 's/^ *//'; xwininfo -name 'Fcitx5 Input Window' 2>/dev/null | grep 'Map State'; }
# winit XIC work-around, variant without a pause between focus-out and focus-in (with a pause iced
# reports InputMethod::Disabled in between and winit recreates the XIC unfocused on the next key)
refocus() { xdotool mousemove_relative 1 0; sleep 0.4; xdotool windowfocus --sync "$ROOT" windowfocus --sync "$WID"; sleep 0.4; }
compose() {  # $1 = tag
  xdotool type --delay 120 yamada; sleep 0.8; shot "$1-1-preedit"; popup
  xdotool key space; sleep 0.8; shot "$1-2-converted"
  xdotool key space; sleep 0.8; shot "$1-3-candidates"; popup
  xdotool key Up; sleep 0.6
  xdotool key Return; sleep 0.8; shot "$1-4-committed"
}
RC=0
echo "1. start screen: type sato (IME off) + Enter"
xdotool windowfocus --sync "$WID"; xdotool mousemove --window "$WID" 680 402; sleep 0.2; xdotool click 1; sleep 0.3; refocus
xdotool type --delay 60 sato; xdotool key Return; sleep 1.2; shot 00-main
echo "2. 受付 search field"
refocus; "${ASIM[@]}" fcitx5-remote -o; sleep 0.3; echo "  fcitx5 state=$("${ASIM[@]}" fcitx5-remote) (2=active)"
compose 10-search
sleep 0.5; shot 10-search-5-result
echo "3. clear, F7 -> 申立書 form, 氏名"
xdotool key ctrl+a BackSpace; sleep 0.4; xdotool key F7; sleep 1; xdotool mousemove_relative 1 0; sleep 0.4
echo "  fcitx5 state=$("${ASIM[@]}" fcitx5-remote)"; shot 20-form
compose 20-name
echo "4. rest of the form: フリガナ with the IME, the other fields with it off"
"${ASIM[@]}" fcitx5-remote -o; xdotool key Tab; sleep 0.3
xdotool type --delay 120 yamada; sleep 0.5; xdotool key Return; sleep 0.5     # フリガナ やまだ (IME)
"${ASIM[@]}" fcitx5-remote -c; sleep 0.3
xdotool key Tab; xdotool type --delay 60 1970-03-01; xdotool key Tab; xdotool type 1
xdotool key Tab Tab Tab; sleep 0.2; xdotool type 9; sleep 0.6; shot 30-form-filled
xdotool key Return; sleep 1.2; shot 31-saved
echo "5. database check"
ONSHI_FALLBACK_DB=$DB "$APP" patients search 山田 2>/dev/null | tee "$W/patients.txt"
if grep -q '^P[0-9]* *山田（' "$W/patients.txt"; then echo "PASS: patient 山田 saved from the 氏名 field"; else echo "FAIL: no patient 山田"; RC=1; fi
grep -cE 'XIM_(CREATE|DESTROY)_IC' "$W/fcitx5.log" | sed 's/^/  XIC create+destroy count: /'
exit $RC
