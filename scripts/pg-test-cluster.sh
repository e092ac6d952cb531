#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the store's tests, which run against PostgreSQL as well
# as SQLite; CI starts one of these before the tests and stops it after.
#
#   scripts/pg-test-cluster.sh start DIR PORT   # prints postgresql://onshi@127.0.0.1:PORT/postgres
#   scripts/pg-test-cluster.sh stop DIR         # stops it and removes DIR
#
# Trust authentication, listening on 127.0.0.1 only and on a unix socket in DIR. PostgreSQL
# refuses to run as root: as root, DIR is given to the `postgres` user and the server runs as it.
set -euo pipefail

die() { echo "pg-test-cluster: $*" >&2; exit 1; }
usage() { die "usage: $0 start DIR PORT | stop DIR"; }

# initdb / pg_ctl: from PATH, else from the newest /usr/lib/postgresql/*/bin.
find_bin() {
    if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        PGBIN=$(dirname "$(command -v pg_ctl)")
        return
    fi
    local newest
    newest=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    [[ -n $newest && -x $newest/pg_ctl && -x $newest/initdb ]] \
        || die "initdb/pg_ctl not found in PATH nor in /usr/lib/postgresql/*/bin"
    PGBIN=$newest
}

# Runs a command as the user owning the cluster (postgres when we are root).
as_owner() {
    if [[ $(id -u) -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

start() {
    local dir=$1 port=$2
    [[ $port =~ ^[0-9]+$ ]] || die "PORT must be a number: $port"
    [[ ! -e $dir/data ]] || die "$dir/data already exists (stop the old cluster first)"
    find_bin
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    if [[ $(id -u) -eq 0 ]]; then
        id postgres >/dev/null 2>&1 || die "running as root but there is no postgres user"
        chown postgres: "$dir"
    fi

    as_owner "$PGBIN/initdb" -D "$dir/data" -A trust -U onshi \
        --encoding=UTF8 --no-locale >"$dir/initdb.log" 2>&1 || {
        tail -n 20 "$dir/initdb.log" >&2
        die "PostgreSQL could not start: initdb failed (log: $dir/initdb.log)"
    }

    if ! as_owner "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off" start >/dev/null; then
        [[ -f $dir/log ]] && tail -n 20 "$dir/log" >&2
        die "PostgreSQL could not start: see the log above ($dir/log); is port $port in use?"
    fi
    echo "postgresql://onshi@127.0.0.1:$port/postgres"
}

stop() {
    local dir=$1
    [[ -d $dir ]] || die "no such directory: $dir"
    find_bin
    if [[ -f $dir/data/postmaster.pid ]]; then
        as_owner "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    fi
    rm -rf -- "$dir"
}

case ${1:-} in
    start) [[ $# -eq 3 ]] || usage; start "$2" "$3" ;;
    stop)  [[ $# -eq 2 ]] || usage; stop "$2" ;;
    *)     usage ;;
esac
