# Shared by scripts/up and scripts/test: installs what TDS needs on this machine, or says
# clearly what is missing and how to get it. Sourced, not run.
set -euo pipefail

tds_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$tds_root"

say() { printf 'tds: %s\n' "$*" >&2; }
die() { printf 'tds: error: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@";
  elif command -v sudo >/dev/null 2>&1; then sudo "$@";
  else return 1; fi
}

ensure_rust() {
  command -v cargo >/dev/null 2>&1 || die "cargo was not found. Install Rust with rustup (https://rustup.rs), then run this again."
  command -v rustup >/dev/null 2>&1 || die "rustup was not found; TDS needs it to add the wasm32-wasip2 target. Install Rust with rustup (https://rustup.rs)."
  if ! rustup target list --installed | grep -qx wasm32-wasip2; then
    say "adding the Rust target wasm32-wasip2 (the components are WebAssembly)"
    rustup target add wasm32-wasip2 || die "could not add the wasm32-wasip2 target; run 'rustup target add wasm32-wasip2' and look at its error"
  fi
}

postgres_bin_dir() {
  if [ -n "${TDS_POSTGRES_BIN_DIR:-}" ] && [ -x "$TDS_POSTGRES_BIN_DIR/initdb" ]; then echo "$TDS_POSTGRES_BIN_DIR"; return 0; fi
  if command -v pg_config >/dev/null 2>&1; then
    local d; d="$(pg_config --bindir 2>/dev/null || true)"
    if [ -x "$d/initdb" ] && [ -x "$d/postgres" ]; then echo "$d"; return 0; fi
  fi
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -rn) /usr/local/pgsql/bin /opt/homebrew/bin /usr/bin; do
    if [ -x "$d/initdb" ] && [ -x "$d/postgres" ]; then echo "$d"; return 0; fi
  done
  return 1
}

ensure_postgres() {
  if [ -n "${SPIN_VARIABLE_DATABASE_URL:-}" ] && [ "${1:-}" = "optional" ]; then return 0; fi
  if ! postgres_bin_dir >/dev/null; then
    if command -v apt-get >/dev/null 2>&1; then
      say "PostgreSQL server binaries not found; installing Debian's postgresql package"
      as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null \
        && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends postgresql >/dev/null \
        || die "could not install PostgreSQL. Install it yourself (apt-get install postgresql) or set TDS_POSTGRES_BIN_DIR to a folder with initdb and postgres."
    elif command -v brew >/dev/null 2>&1; then
      say "PostgreSQL server binaries not found; installing with Homebrew"
      brew install postgresql || die "could not install PostgreSQL with Homebrew"
    else
      die "PostgreSQL server binaries (initdb, postgres) were not found. Install PostgreSQL 14 or newer, or set TDS_POSTGRES_BIN_DIR to the folder holding them."
    fi
  fi
  postgres_bin_dir >/dev/null || die "PostgreSQL was installed but initdb/postgres are still not found; set TDS_POSTGRES_BIN_DIR"
  if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
    say "running as root: creating the unprivileged 'postgres' user that PostgreSQL must run as"
    useradd --system --home-dir /var/lib/postgresql --shell /usr/sbin/nologin postgres \
      || die "could not create the 'postgres' user; create an unprivileged user named postgres or run as a normal user"
  fi
}

chromium_bin() {
  if [ -n "${CHROME:-}" ] && [ -x "$CHROME" ]; then echo "$CHROME"; return 0; fi
  local name
  for name in chromium chromium-browser google-chrome; do
    if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return 0; fi
  done
  return 1
}

# The dashboard test drives headless Chromium (Debian's chromium package; browser downloads
# from Google's CDNs are not needed).
ensure_chromium() {
  if ! chromium_bin >/dev/null; then
    if command -v apt-get >/dev/null 2>&1; then
      say "Chromium not found (the dashboard test needs a headless browser); installing Debian's chromium package"
      as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null \
        && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium >/dev/null \
        || die "could not install Chromium. Install it yourself (apt-get install chromium) or set CHROME to a Chromium or Chrome binary."
    elif command -v brew >/dev/null 2>&1; then
      say "Chromium not found (the dashboard test needs a headless browser); installing with Homebrew"
      brew install --cask chromium || die "could not install Chromium with Homebrew; set CHROME to a Chromium or Chrome binary"
    else
      die "Chromium was not found (the dashboard test needs it). Install chromium, or set CHROME to a Chromium or Chrome binary."
    fi
  fi
  chromium_bin >/dev/null || die "Chromium was installed but is still not found; set CHROME to its binary"
}

# The Python test tools (scripts/requirements-test.txt: the offline Kubernetes validator the
# deploy test runs, and schemathesis) live in a venv at target/pytools. It is made again when
# the requirements change: the venv keeps a copy of the file it was installed from.
ensure_python_tools() {
  local venv="$tds_root/target/pytools"
  local requirements="$tds_root/scripts/requirements-test.txt"
  [ -f "$requirements" ] || die "$requirements is missing"
  if [ -x "$venv/bin/python" ] && cmp -s "$requirements" "$venv/requirements-test.txt"; then return 0; fi
  command -v python3 >/dev/null 2>&1 || die "python3 was not found (the tests need it for the Kubernetes validator). Install Python 3.11 or newer (apt-get install python3 python3-venv, or brew install python)."
  python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || die "$(python3 --version 2>&1) is too old: the pinned test tools (schemathesis 4.32.5) need Python 3.11 or newer. Install a newer python3 and put it first on PATH."
  say "installing the Python test tools (scripts/requirements-test.txt) into target/pytools"
  rm -rf "$venv"
  local venv_error
  if ! venv_error="$(python3 -m venv "$venv" 2>&1)"; then
    rm -rf "$venv"
    if command -v apt-get >/dev/null 2>&1; then
      say "python3 cannot make a venv; installing Debian's python3-venv package"
      as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null \
        && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3-venv >/dev/null \
        || die "could not install python3-venv. Install it yourself (apt-get install python3-venv), then run this again."
      python3 -m venv "$venv" || die "python3 -m venv $venv failed even with python3-venv installed; look at its error above"
    else
      die "python3 -m venv failed ($venv_error). Install Python's venv module (it ships with python.org and Homebrew Pythons; Debian and Ubuntu split it into python3-venv), then run this again."
    fi
  fi
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements" \
    || die "could not install the Python test tools with pip (PyPI must be reachable, or set PIP_INDEX_URL to a mirror); see pip's error above"
  cp "$requirements" "$venv/requirements-test.txt"
}

# The host is built with the features `cargo test` resolves for the whole workspace, so
# `./scripts/up` and `./scripts/test` share one build of it and of every dependency, in
# either order. Cargo picks each dependency's features from the packages a command
# selects: `-p tds` alone would enable fewer (the tests' dev-dependencies add some) and
# compile wasmtime and the host a second time. Naming the (absent) example targets is what
# makes `cargo build` take the dev-dependencies into account, as `cargo test` does.
build_host() {
  say "building the tds host (the first build compiles wasmtime and takes several minutes)"
  cargo build --bin tds --examples --quiet
}

build_components() {
  say "building the WebAssembly components"
  "$tds_root/target/debug/tds" build --manifest "$tds_root/spin.toml"
}
