#!/usr/bin/env bash
# Source this file, then call pg_start: a throwaway PostgreSQL cluster in a temporary directory,
# on a free loopback port, stopped (and deleted) by pg_stop, which pg_start traps on EXIT.
# PostgreSQL refuses to run as root: as root the cluster runs as the `postgres` system user.
# Sets REMPART_PG_URL. Fails loudly when no PostgreSQL can be found or started.

pg__find_bin() {
  local dir
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(command -v initdb)"; return 0
  fi
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$dir/initdb" ] && { echo "$dir"; return 0; }
  done
  return 1
}

pg__install() {
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "PostgreSQL not found: installing Debian's postgresql package" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
}

pg_start() {
  local bin port run=()
  bin=$(pg__find_bin) || { pg__install; bin=$(pg__find_bin); } || {
    echo "ERROR: PostgreSQL 15+ is required for the test suite (initdb, pg_ctl): install the postgresql package" >&2
    return 1
  }
  PG_TMP=$(mktemp -d /tmp/rempart-pg.XXXXXX)
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir "$PG_TMP" --shell /usr/sbin/nologin postgres
    chown postgres: "$PG_TMP"
    run=(runuser -u postgres --)
  fi
  PG_RUN=("${run[@]}")
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  PG_BIN=$bin
  trap pg_stop EXIT
  trap 'pg_stop; exit 130' INT TERM
  "${PG_RUN[@]}" "$bin/initdb" -D "$PG_TMP/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >"$PG_TMP/initdb.log" 2>&1 \
    || { cat "$PG_TMP/initdb.log" >&2; return 1; }
  "${PG_RUN[@]}" "$bin/pg_ctl" -D "$PG_TMP/data" -l "$PG_TMP/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $PG_TMP -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" start >/dev/null \
    || { cat "$PG_TMP/server.log" >&2; return 1; }
  export REMPART_PG_URL="postgresql://postgres@127.0.0.1:$port/rempart"
  echo "throwaway PostgreSQL started on 127.0.0.1:$port ($PG_TMP)"
}

pg_stop() {
  if [ -n "${PG_TMP:-}" ] && [ -d "$PG_TMP/data" ]; then
    "${PG_RUN[@]}" "$PG_BIN/pg_ctl" -D "$PG_TMP/data" -m fast -w stop >/dev/null 2>&1 || true
    echo "throwaway PostgreSQL stopped"
  fi
  [ -n "${PG_TMP:-}" ] && rm -rf "$PG_TMP"
  PG_TMP=""
}
