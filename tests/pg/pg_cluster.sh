#!/bin/sh
# A throw-away PostgreSQL cluster for the tests of the PostgreSQL state backend.
#
#   pg_cluster.sh start INFO_DIR   initdb in a fresh temporary directory, start the server on a
#                                  free loopback port, write INFO_DIR/url (no password) and
#                                  INFO_DIR/password, and INFO_DIR/datadir for stop
#   pg_cluster.sh stop INFO_DIR    stop the server and delete its directory
#
# The server never runs as root: under root it runs as `nobody` (runuser). Password
# authentication (scram-sha-256) is required even on loopback, so a wrong password fails as it
# would against a real server. Binaries: PG_BIN, else the newest /usr/lib/postgresql/*/bin.
set -eu

command=${1:?usage: pg_cluster.sh start|stop INFO_DIR}
info=${2:?usage: pg_cluster.sh start|stop INFO_DIR}

bin=${PG_BIN:-$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)}
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    echo "pg_cluster.sh: no PostgreSQL server binaries (install postgresql: scripts/setup)" >&2
    exit 1
fi

as_server() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u nobody -- "$@"
    else
        "$@"
    fi
}

case $command in
start)
    if [ -f "$info/datadir" ]; then
        "$0" stop "$info" || true
    fi
    mkdir -p "$info"
    base=$(mktemp -d /tmp/provision-pg-XXXXXX)
    chmod 755 "$base"
    password=$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')
    printf '%s\n' "$password" > "$base/pwfile"
    if [ "$(id -u)" = 0 ]; then
        chown nobody "$base" "$base/pwfile"
    fi
    as_server "$bin/initdb" -D "$base/data" -U provision --pwfile="$base/pwfile" \
        -A scram-sha-256 --no-sync >"$base/initdb.log" 2>&1 ||
        { cat "$base/initdb.log" >&2; exit 1; }
    rm -f "$base/pwfile"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as_server "$bin/pg_ctl" -D "$base/data" -l "$base/server.log" -w -t 60 \
        -o "-p $port -k $base -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null ||
        { cat "$base/server.log" >&2; exit 1; }
    printf '%s\n' "$base" > "$info/datadir"
    printf 'postgresql://provision@127.0.0.1:%s/postgres\n' "$port" > "$info/url"
    printf '%s\n' "$password" > "$info/password"
    chmod 600 "$info/password"
    ;;
stop)
    [ -f "$info/datadir" ] || exit 0
    base=$(cat "$info/datadir")
    as_server "$bin/pg_ctl" -D "$base/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$base"
    rm -f "$info/datadir" "$info/url" "$info/password"
    ;;
*)
    echo "usage: pg_cluster.sh start|stop INFO_DIR" >&2
    exit 2
    ;;
esac
