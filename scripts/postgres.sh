#!/usr/bin/env bash
# A private PostgreSQL for the Dagster instance in development and tests: start | stop | status.
#
# Debian's `postgresql` package, installed with apt-get where it is missing: it is the server
# these machines' image already carries (15), it is the same server a team runs in production,
# and PyPI's embedded-server wheels are unofficial rebuilds. `initdb` refuses to run as root,
# so when this script runs as root the cluster belongs to the `postgres` user.
#
# Everything lives under one folder (default .postgres/, ignored by git): data, socket, log.
# It listens on 127.0.0.1 only, on a private port and socket folder, so it never meets a
# system PostgreSQL. Both commands are idempotent.
#
# Environment: SENSEQUANT_PG_DIR (folder), DAGSTER_PG_PORT (default 5499),
# DAGSTER_PG_DB (default dagster), DAGSTER_PG_USER (default postgres).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="$(realpath -m "${SENSEQUANT_PG_DIR:-$ROOT/.postgres}")"
PORT="${DAGSTER_PG_PORT:-5499}"
DB="${DAGSTER_PG_DB:-dagster}"
DBUSER="${DAGSTER_PG_USER:-postgres}"
DATA="$DIR/data"
SOCKETS="$DIR/socket"
LOG="$DIR/postgres.log"

server_bin() {
  local found
  found="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  if [[ -z "$found" ]]; then
    echo "installing PostgreSQL (Debian package postgresql)" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    found="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
  fi
  echo "$found"
}

# Runs a server command as the cluster's owner: `postgres` when we are root, else ourselves.
as_owner() {
  if [[ "$(id -u)" == 0 ]]; then
    su postgres -s /bin/bash -c "$(printf '%q ' "$@")"
  else
    "$@"
  fi
}

running() {
  [[ -f "$DATA/postmaster.pid" ]] && as_owner "$BIN/pg_ctl" status -D "$DATA" >/dev/null 2>&1
}

start() {
  mkdir -p "$DIR"
  if [[ "$(id -u)" == 0 ]]; then
    chown postgres: "$DIR"
  fi
  if [[ ! -s "$DATA/PG_VERSION" ]]; then
    as_owner mkdir -p "$SOCKETS"
    as_owner "$BIN/initdb" -D "$DATA" -U "$DBUSER" -A trust -E UTF8 --no-sync >/dev/null
  fi
  if ! running; then
    as_owner "$BIN/pg_ctl" start -D "$DATA" -l "$LOG" -w -t 60 \
      -o "-p $PORT -k $SOCKETS -c listen_addresses=127.0.0.1" >/dev/null
  fi
  local psql=("$BIN/psql" -h 127.0.0.1 -p "$PORT" -U "$DBUSER" -d postgres -qtA)
  if [[ "$("${psql[@]}" -c "SELECT 1 FROM pg_database WHERE datname = '$DB'")" != 1 ]]; then
    "${psql[@]}" -c "CREATE DATABASE \"$DB\""
  fi
  echo "PostgreSQL on 127.0.0.1:$PORT, database $DB, data in $DATA"
}

stop() {
  if running; then
    as_owner "$BIN/pg_ctl" stop -D "$DATA" -m fast -w -t 60 >/dev/null
  fi
  echo "PostgreSQL in $DATA stopped"
}

BIN="$(server_bin)"
case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) running && echo "running on 127.0.0.1:$PORT" || { echo "not running"; exit 3; } ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
