# Shared by scripts/dev and scripts/test. Source it; do not run it.
# Everything the scripts need is installed here, into the project, so a bare
# machine with a Rust toolchain and python3 is enough.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
STATE="$ROOT/.local"
mkdir -p "$STATE"

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
die() { printf '\033[31merror:\033[0m %s\n' "$*" >&2; exit 1; }

ensure_rust_tools() {
  command -v cargo >/dev/null || die "cargo not found: install Rust (rustup) first"
  if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
    step "installing rustfmt and clippy"
    rustup component add rustfmt clippy
  fi
}

# The project venv with moto and cargo-lambda, reinstalled when the pins change.
ensure_venv() {
  local want have=""
  want="$(cat "$ROOT/scripts/requirements.txt")"
  [ -f "$VENV/.requirements" ] && have="$(cat "$VENV/.requirements")"
  if [ -x "$VENV/bin/python" ] && [ "$want" = "$have" ]; then
    return
  fi
  step "installing moto and cargo-lambda into .venv"
  command -v python3 >/dev/null || die "python3 not found (apt-get install python3 python3-venv)"
  if ! python3 -m venv "$VENV" 2>/dev/null; then
    # Debian splits venv support out of python3.
    if command -v apt-get >/dev/null; then
      apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
      python3 -m venv "$VENV"
    else
      die "python3 -m venv failed; install your distribution's venv package"
    fi
  fi
  "$VENV/bin/pip" install --quiet --disable-pip-version-check --upgrade pip
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$ROOT/scripts/requirements.txt"
  printf '%s' "$want" > "$VENV/.requirements"
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_for_port() { # PORT SECONDS WHAT LOGFILE
  local port=$1 seconds=$2 what=$3 log=$4 i
  for ((i = 0; i < seconds * 10; i++)); do
    if python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  echo "---- $log ----" >&2
  tail -n 40 "$log" >&2 || true
  die "$what did not start listening on 127.0.0.1:$port within ${seconds}s"
}

BACKGROUND_PIDS=()

# Starts a command in its own process group, so stopping it stops its children.
start_background() { # LOGFILE CMD...
  local log=$1
  shift
  setsid "$@" >"$log" 2>&1 &
  BACKGROUND_PIDS+=("$!")
}

stop_background() {
  local pid
  for pid in "${BACKGROUND_PIDS[@]}"; do
    kill -TERM -- "-$pid" 2>/dev/null || true
  done
  for pid in "${BACKGROUND_PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  BACKGROUND_PIDS=()
}

# moto in server mode on 127.0.0.1, one request at a time (see scripts/moto_serial.py);
# MOTO_SERIAL=0 runs the stock threaded `moto_server` instead.
# Sets MOTO_PORT and the standard AWS variables that point the SDK at it.
start_moto() { # [PORT]
  MOTO_PORT="${1:-$(free_port)}"
  if [ "${MOTO_SERIAL:-1}" = 0 ]; then
    start_background "$STATE/moto.log" "$VENV/bin/moto_server" -H 127.0.0.1 -p "$MOTO_PORT"
  else
    start_background "$STATE/moto.log" "$VENV/bin/python" "$ROOT/scripts/moto_serial.py" 127.0.0.1 "$MOTO_PORT"
  fi
  wait_for_port "$MOTO_PORT" 60 "moto_server" "$STATE/moto.log"
  export AWS_ENDPOINT_URL="http://127.0.0.1:$MOTO_PORT"
  export AWS_REGION="${AWS_REGION:-us-east-1}"
  export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
  unset AWS_PROFILE AWS_SESSION_TOKEN
}
