# shellcheck shell=bash
# Shared by scripts/test, scripts/check and scripts/serve (sourced, not run): install what the
# project needs on a fresh Debian machine of this kind, start the local services the tests use.
#
# Functions:
#   install_python_packages   .venv with `pip install -e '.[dev]'`, redone only when
#                             pyproject.toml (or the checkout's path) changed since last time.
#   start_test_services       PostgreSQL and Redis on 127.0.0.1, started if they do not answer.
#   install_debian_packages BINARY:PACKAGE ...
#                             apt-get install each PACKAGE whose BINARY is not on PATH
#                             (apt-get update once per run). For later issues, e.g. in
#                             scripts/test: install_debian_packages turnserver:coturn chromium:chromium

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

say() { printf '%s: %s\n' "$(basename "$0")" "$*" >&2; }

python_for_venv() {
    local candidate
    for candidate in "${PYTHON:-}" python3.11 python3 python; do
        [[ -n $candidate ]] || continue
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    say "needs Python 3.11 or newer (set PYTHON=/path/to/python3.11)"
    return 1
}

install_python_packages() {
    if [[ ! -x $VENV/bin/python ]]; then
        local python
        python="$(python_for_venv)"
        say "creating $VENV with $python"
        "$python" -m venv "$VENV"
    fi
    local stamp="$VENV/.flourish-installed" wanted
    wanted="$( (cat "$ROOT/pyproject.toml"; echo "$ROOT") | sha256sum | cut -d' ' -f1)"
    if [[ -f $stamp && $(cat "$stamp") == "$wanted" ]]; then
        return 0
    fi
    say "installing Python packages into .venv (pyproject.toml changed since the last install)"
    (cd "$ROOT" && "$VENV/bin/python" -m pip install --quiet --quiet --disable-pip-version-check \
        -e '.[dev]')
    echo "$wanted" >"$stamp"
}

# wait_until SECONDS WHAT COMMAND...: run COMMAND every half second until it succeeds.
wait_until() {
    local seconds=$1 what=$2 tries
    shift 2
    for ((tries = seconds * 2; tries > 0; tries--)); do
        if "$@" >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.5
    done
    say "$what did not answer within ${seconds}s"
    return 1
}

postgres_answers() { pg_isready -q -h 127.0.0.1 -p 5432; }
redis_answers() { [[ $(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null) == PONG ]]; }

# The tests use TEST_POSTGRES_URL and TEST_REDIS_URL when set (then nothing is started here),
# else PostgreSQL (database `test`, trust auth) and Redis on their standard local ports.
start_test_services() {
    if [[ -z ${TEST_POSTGRES_URL:-} ]] && ! postgres_answers; then
        say "starting PostgreSQL"
        # shellcheck disable=SC2012  # version folders (15, 16): plain names
        pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n1)" \
            main start || true
        wait_until 30 PostgreSQL postgres_answers
    fi
    if [[ -z ${TEST_REDIS_URL:-} ]] && ! redis_answers; then
        say "starting Redis"
        mkdir -p /var/lib/redis /var/log/redis
        redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" \
            --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
        wait_until 30 Redis redis_answers
    fi
}

APT_UPDATED=""
install_debian_packages() {
    local pair missing=()
    for pair in "$@"; do
        command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
    done
    ((${#missing[@]})) || return 0
    local sudo=""
    [[ $(id -u) == 0 ]] || sudo="sudo"
    if [[ -z $APT_UPDATED ]]; then
        $sudo apt-get update -qq
        APT_UPDATED=1
    fi
    say "installing Debian packages: ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

# install_node_packages DIR ...: `npm ci` in each DIR (which holds package.json and
# package-lock.json), redone only when its lock file changed since the last install.
install_node_packages() {
    local dir stamp wanted
    for dir in "$@"; do
        stamp="$ROOT/$dir/node_modules/.flourish-installed"
        wanted="$(sha256sum "$ROOT/$dir/package-lock.json" | cut -d' ' -f1)"
        if [[ -f $stamp && $(cat "$stamp") == "$wanted" ]]; then
            continue
        fi
        say "installing Node packages in $dir"
        (cd "$ROOT/$dir" && npm ci --no-audit --no-fund --loglevel=error)
        echo "$wanted" >"$stamp"
    done
}

# build_web_client: the browser client (web/) built into web/dist, which `flourish serve`
# serves at `/`. Installs its Node packages first; rebuilds only when its sources changed.
build_web_client() {
    install_debian_packages node:nodejs npm:npm
    install_node_packages web
    local dist="$ROOT/web/dist" stamp wanted
    stamp="$dist/.flourish-built"
    wanted="$(cd "$ROOT/web" && find index.html package-lock.json tsconfig.json vite.config.ts \
        src public -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)"
    if [[ -f $stamp && $(cat "$stamp") == "$wanted" ]]; then
        return 0
    fi
    say "building the web client (web/ changed since the last build)"
    (cd "$ROOT/web" && npm run --silent build >/dev/null)
    echo "$wanted" >"$stamp"
}
