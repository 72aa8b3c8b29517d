#!/usr/bin/env bash
# Everything `make up` and `make test` need on this machine, idempotently:
# nginx, PostgreSQL, Redis and RabbitMQ (installed and started when missing), the .venv,
# the locked requirements (re-installed only when requirements/lock.txt changes) and the
# editable shared/ and services/* packages. Quiet on success, loud on failure.
set -euo pipefail

cd "$(dirname "$0")/.."
LOG="$(mktemp -t bootstrap.XXXXXX.log)"
trap 'rm -f "$LOG"' EXIT

fail() {
    echo "bootstrap: $*" >&2
    if [[ -s "$LOG" ]]; then
        echo "---- output ----" >&2
        tail -n 80 "$LOG" >&2
    fi
    exit 1
}

run() { "$@" >>"$LOG" 2>&1 || fail "failed: $*"; }

as_root() {
    if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo -n "$@"; fi
}

APT_UPDATED=0
apt_install() {
    if [[ $APT_UPDATED -eq 0 ]]; then
        run as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
        APT_UPDATED=1
    fi
    run as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {  # port seconds what
    local i
    for ((i = 0; i < $2 * 5; i++)); do
        port_open "$1" && return 0
        sleep 0.2
    done
    fail "$3 did not open port $1 within $2 s"
}

# --- system packages -------------------------------------------------------------
[[ -x /usr/sbin/nginx ]] || apt_install nginx-light
command -v pg_ctlcluster >/dev/null && command -v psql >/dev/null || apt_install postgresql
command -v redis-server >/dev/null || apt_install redis-server
command -v rabbitmq-server >/dev/null || apt_install rabbitmq-server

# promtool (checks prometheus/ in the infra tests), unpacked from Debian's package; no daemon.
PROMTOOL=var/tools/prometheus/usr/bin/promtool
if [[ ! -x $PROMTOOL ]] && ! command -v promtool >/dev/null; then
    if [[ $APT_UPDATED -eq 0 ]]; then
        run as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
        APT_UPDATED=1
    fi
    mkdir -p var/tools
    (cd var/tools && rm -f prometheus_*.deb && apt-get download prometheus >>"$LOG" 2>&1 \
        && dpkg -x prometheus_*.deb prometheus && rm -f prometheus_*.deb) \
        || fail "could not unpack promtool from Debian's prometheus package"
fi

# newman (runs postman_collection.json in tests/clients), from npm at the versions and
# integrity hashes of tests/clients/package-lock.json, into tests/clients/node_modules
# (git-ignored); again only when the lock file changes.
command -v npm >/dev/null || apt_install nodejs npm
NPM_STAMP=tests/clients/node_modules/.lock.sha256
WANT_NPM="$(sha256sum tests/clients/package-lock.json | cut -d' ' -f1)"
if [[ ! -x tests/clients/node_modules/.bin/newman || ! -f $NPM_STAMP || "$(cat "$NPM_STAMP")" != "$WANT_NPM" ]]; then
    run npm ci --prefix tests/clients --no-audit --no-fund --ignore-scripts
    echo "$WANT_NPM" >"$NPM_STAMP"
fi

# --- servers (no systemd here: start them directly) -----------------------------
if ! port_open 5432; then
    # shellcheck disable=SC2046
    run as_root pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start
    wait_port 5432 30 PostgreSQL
fi
if ! port_open 6379; then
    as_root mkdir -p /var/lib/redis /var/log/redis
    run as_root redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" \
        --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
    wait_port 6379 30 Redis
fi
if ! port_open 5672; then
    run as_root rabbitmq-server -detached
    for _ in $(seq 1 120); do
        if as_root rabbitmq-diagnostics -q ping >/dev/null 2>&1 && port_open 5672; then break; fi
        sleep 1
    done
    port_open 5672 || fail "RabbitMQ did not open port 5672 within 120 s"
fi

# --- Python environment ----------------------------------------------------------
if [[ ! -x .venv/bin/python ]]; then
    command -v python3 >/dev/null || apt_install python3 python3-venv
    run python3 -m venv .venv
fi
[[ -x .venv/bin/uv ]] || run .venv/bin/pip install --quiet uv==0.13.8

STAMP=.venv/.lock.sha256
WANT="$(sha256sum requirements/lock.txt | cut -d' ' -f1)"
if [[ ! -f $STAMP || "$(cat "$STAMP")" != "$WANT" ]]; then
    run .venv/bin/uv pip install --python .venv/bin/python --require-hashes -r requirements/lock.txt
    echo "$WANT" >"$STAMP"
fi

editable=()
[[ -f shared/pyproject.toml ]] && editable+=(-e ./shared)
for project in services/*/pyproject.toml; do
    [[ -f $project ]] && editable+=(-e "./$(dirname "$project")")
done
# Re-install only when the set of projects or one of their pyproject.toml files changed.
EDITABLE_STAMP=.venv/.editable.sha256
WANT_EDITABLE="$(cat shared/pyproject.toml services/*/pyproject.toml 2>/dev/null | sha256sum | cut -d' ' -f1)"
WANT_EDITABLE="$WANT_EDITABLE ${editable[*]:-}"
if ((${#editable[@]})) && [[ ! -f $EDITABLE_STAMP || "$(cat "$EDITABLE_STAMP")" != "$WANT_EDITABLE" ]]; then
    run .venv/bin/uv pip install --python .venv/bin/python --no-deps "${editable[@]}"
    echo "$WANT_EDITABLE" >"$EDITABLE_STAMP"
fi
