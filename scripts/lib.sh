# Shared by the scripts (dev, test, smoke, stack, browser-test, bench, ...). Source it; do not run it.
# Everything the scripts need is installed here, into the project, so a bare
# machine with a Rust toolchain and python3 is enough.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
STATE="$ROOT/.local"
mkdir -p "$STATE"

step() { printf '\n\033[1m==> %s\033[0m (at %d s)\n' "$*" "$SECONDS"; }
die() { printf '\033[31merror:\033[0m %s\n' "$*" >&2; exit 1; }

ensure_rust_tools() {
  command -v cargo >/dev/null || die "cargo not found: install Rust (rustup) first"
  if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
    step "installing rustfmt and clippy"
    rustup component add rustfmt clippy
  fi
}

# A project venv from a pinned requirements file, (re)installed when the pins change.
# Default: .venv from scripts/requirements.txt (moto, cargo-lambda, zig, cfn-lint,
# the SAM CLI); tools whose dependencies clash with those get a venv of their own.
ensure_venv() { # [VENV_DIR REQUIREMENTS_FILE]
  local dir="${1:-$VENV}" reqs="${2:-$ROOT/scripts/requirements.txt}" want have=""
  want="$(cat "$reqs")"
  [ -f "$dir/.requirements" ] && have="$(cat "$dir/.requirements")"
  if [ -x "$dir/bin/python" ] && [ "$want" = "$have" ]; then
    return
  fi
  step "installing $(basename "$reqs") into $(basename "$dir")"
  command -v python3 >/dev/null || die "python3 not found (apt-get install python3 python3-venv)"
  if ! python3 -m venv "$dir" 2>/dev/null; then
    # Debian splits venv support out of python3.
    if command -v apt-get >/dev/null; then
      apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
      python3 -m venv "$dir"
    else
      die "python3 -m venv failed; install your distribution's venv package"
    fi
  fi
  "$dir/bin/pip" install --quiet --disable-pip-version-check --upgrade pip
  "$dir/bin/pip" install --quiet --disable-pip-version-check -r "$reqs"
  printf '%s' "$want" > "$dir/.requirements"
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

# Every process below PID, by PID (MiniStack's Lambda workers among them).
descendants() { # PID
  local child
  for child in $(ps -o pid= --ppid "$1" 2>/dev/null); do
    echo "$child"
    descendants "$child"
  done
}

stop_background() {
  local pid child
  for pid in "${BACKGROUND_PIDS[@]}"; do
    # Children first, by PID: a SIGTERM to the emulator alone does not always
    # stop the function processes it started.
    for child in $(descendants "$pid"); do
      kill -TERM "$child" 2>/dev/null || true
    done
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

# cfn-lint and `sam validate --lint` on template.yaml: any finding fails.
check_template() {
  export SAM_CLI_TELEMETRY=0
  "$VENV/bin/cfn-lint" "$ROOT/template.yaml"
  (cd "$ROOT" && "$VENV/bin/sam" validate --lint --region "${AWS_REGION:-eu-west-1}")
}

# The template's functions, by logical id (a test holds the template to the
# workspace's binaries: tests/tests/api/template.rs).
TEMPLATE_FUNCTIONS="InviteFunction ListFunction WithdrawFunction RespondFunction PlatformFunction LinksFunction EventsFunction ClosingFunction DeliveryFunction RemindFunction"

# `sam build` exactly as an operator runs it (cargo-lambda through SAM), of a
# copy of the sources, into .local/sam-build; then checks there is one
# bootstrap per function for the architecture built. Builds arm64 (the template's default) when the Rust target
# can be installed, else x86_64, and says which.
sam_build() {
  local arch=arm64 triple=aarch64-unknown-linux-gnu machine fn
  export SAM_CLI_TELEMETRY=0 PATH="$VENV/bin:$PATH"
  if ! rustup target list --installed | grep -qx "$triple" && ! rustup target add "$triple"; then
    arch=x86_64 triple=x86_64-unknown-linux-gnu
    echo "note: the $triple Rust target could not be installed; building with Architecture=x86_64" >&2
  fi
  # From a copy of the sources (what git tracks, and new files it does not
  # ignore): sam build checksums the whole code folder before each function,
  # and files that other stages create and delete meanwhile (build output,
  # caches) would break that walk. The copy keeps its own target/ between runs.
  local src="$STATE/sam-src"
  mkdir -p "$src"
  find "$src" -mindepth 1 -maxdepth 1 ! -name target -exec rm -rf {} +
  (cd "$ROOT" && git ls-files -z -co --exclude-standard | tar --null --ignore-failed-read -T - -cf -) |
    tar -xf - -C "$src"
  (cd "$src" && sam build --build-dir "$STATE/sam-build" --cache-dir "$STATE/sam-cache" \
    --parameter-overrides "Architecture=$arch")
  for fn in $TEMPLATE_FUNCTIONS; do
    # e_machine in the ELF header: 0xb7 is aarch64, 0x3e is x86_64.
    machine="$(python3 -c 'import sys; d = open(sys.argv[1], "rb").read(20); assert d[:4] == b"\x7fELF"; print(hex(d[18]))' \
      "$STATE/sam-build/$fn/bootstrap")" || die "sam build made no bootstrap for $fn"
    case "$arch:$machine" in
      arm64:0xb7 | x86_64:0x3e) echo "$fn/bootstrap: $arch, $(du -k "$STATE/sam-build/$fn/bootstrap" | cut -f1) KiB" ;;
      *) die "$fn/bootstrap is machine $machine, not $arch" ;;
    esac
  done
}

# The contract: schemathesis generates requests from docs/openapi.yaml, every
# check on; any 5xx or any answer the spec does not describe fails the run, and
# so do fewer than 1,000 requests, an operation no request succeeded on, and
# one that refused most of the requests the schema allows (scripts/fuzz_reach.py).
# It acts on the team SUITE_JSON names (scripts/suite.py create ... --pool).
# Runs from .local/fuzz/NAME so that its caches stay out of the work tree; the hooks
# module is found through PYTHONPATH.
run_schemathesis() { # URL SUITE_JSON HOOKS_MODULE NAME [schemathesis options]
  local url=$1 suite=$2 hooks=$3 name=$4 generated
  shift 4
  ensure_venv "$ROOT/.venv-fuzz" "$ROOT/scripts/requirements-fuzz.txt"
  # A directory per run: the local and the stack's may run side by side.
  mkdir -p "$STATE/fuzz/$name"
  rm -f "$STATE/fuzz/$name.ndjson"
  # The hooks (scripts/schemathesis_hooks.py) sign each request as its caller
  # would and steer it to the suite's team and invitations.
  (cd "$STATE/fuzz/$name" && PYTHONPATH="$ROOT/scripts" SCHEMATHESIS_HOOKS="$hooks" FUZZ_SUITE="$suite" \
    "$ROOT/.venv-fuzz/bin/schemathesis" --config-file "$ROOT/schemathesis.toml" run "$ROOT/docs/openapi.yaml" \
    --url "$url" --checks all --exclude-checks unsupported_method,missing_required_header,use_after_free \
    --max-examples "${FUZZ_EXAMPLES:-100}" --seed "${FUZZ_SEED:-20261128}" \
    --report ndjson --report-ndjson-path "$STATE/fuzz/$name.ndjson" "$@" 2>&1 | tee "$STATE/schemathesis-$name.log")
  generated="$(sed -n 's/^ *\([0-9][0-9]*\) generated.*/\1/p' "$STATE/schemathesis-$name.log" | tail -n 1)"
  [ "${generated:-0}" -ge 1000 ] || die "schemathesis generated ${generated:-no} requests; the contract asks for 1,000 or more"
  # What it reached, operation by operation; fails on an operation unreached or
  # refusing most of what the schema allows.
  if ! "$ROOT/.venv-fuzz/bin/python" "$ROOT/scripts/fuzz_reach.py" "$STATE/fuzz/$name.ndjson" "$ROOT/docs/openapi.yaml" \
    | tee "$STATE/fuzz-reach-$name.log"; then
    die "schemathesis ($name) left operations unreached or mostly refused (.local/fuzz-reach-$name.log)"
  fi
  echo "schemathesis ($name): $generated requests generated, no failures"
}

# The repository holds sources only: no tracked file that .gitignore ignores (build
# output, caches), none over 1 MB, and no Markdown link out of the repository.
check_repository() {
  local bad
  bad="$(git -C "$ROOT" ls-files -ci --exclude-standard)"
  [ -z "$bad" ] || die "tracked files that .gitignore ignores (build output or caches?):
$bad"
  bad="$(git -C "$ROOT" ls-files -z | (cd "$ROOT" && xargs -0 -r stat -c '%s %n' 2>/dev/null) | awk '$1 > 1048576 { print $2 " (" $1 " bytes)" }')"
  [ -z "$bad" ] || die "tracked files over 1 MB:
$bad"
  bad="$(cd "$ROOT" && git ls-files -z '*.md' | xargs -0 -r grep -nE '\]\(\.\./' || true)"
  [ -z "$bad" ] || die "Markdown links that point outside the repository (dead in any clone):
$bad"
  echo "ok: $(git -C "$ROOT" ls-files | wc -l) tracked files; none ignored, none over 1 MB, no link outside"
}

# Development aids are compiled only with the `dev` feature. Fails if a release
# bootstrap in DIR/<Function>/ contains the insecure-auth switch or the demo
# link secret; the same search must find the switch in a dev build (DEV_BINARY),
# so the check is known to be able to fail.
check_release_binaries() { # DIR DEV_BINARY
  local dir=$1 dev_binary=$2 fn needle
  local needles=("LOCAL_INSECURE_AUTH" "local-development-only-secret")
  grep -qa "${needles[0]}" "$dev_binary" || die "$dev_binary (a dev build) lacks ${needles[0]}: the release check below would prove nothing"
  for fn in $TEMPLATE_FUNCTIONS; do
    for needle in "${needles[@]}"; do
      if grep -qa "$needle" "$dir/$fn/bootstrap"; then
        die "$fn/bootstrap contains '$needle': development code reached a release function"
      fi
    done
  done
  echo "ok: no release bootstrap contains ${needles[*]} (a dev build does)"
}

# MiniStack, the second emulator, on 127.0.0.1 (its own venv), its extra
# listeners off. Sets the same variables as start_moto. AWS_ENDPOINT_URL in its
# own environment is what it passes to the Lambda functions it runs, so their
# SDK calls reach it too.
start_ministack() {
  ensure_venv "$ROOT/.venv-ministack" "$ROOT/scripts/requirements-ministack.txt"
  local port
  port="$(free_port)"
  AWS_ENDPOINT_URL="http://127.0.0.1:$port" BIND_HOST=127.0.0.1 GATEWAY_PORT="$port" IOT_MTLS_ENABLED=0 SFTP_ENABLED=0 \
    start_background "$STATE/ministack.log" "$ROOT/.venv-ministack/bin/ministack"
  wait_for_port "$port" 60 "ministack" "$STATE/ministack.log"
  export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
  export AWS_REGION="${AWS_REGION:-us-east-1}"
  export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
  unset AWS_PROFILE AWS_SESSION_TOKEN
}

# A field of a JSON document (text), read by Python's json module: the one
# place the shell scripts read JSON.
json_field() { # JSON_TEXT KEY
  python3 -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"
}

# The same, of a JSON file.
json_file_field() { # FILE KEY [DEFAULT, when the file has no KEY]
  python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(d[sys.argv[2]] if sys.argv[2] in d or len(sys.argv) < 4 else sys.argv[3])' "$@"
}

# The local stand-in for the API (scripts/dev --api, scripts/smoke): moto, the
# table, the sender identity, the link secret and the demo team, and the five
# API functions (dev build: identity from unsigned tokens) served at their
# routes by `cargo lambda watch` on 127.0.0.1:PORT. Exports what the functions
# read; extra arguments go to `cargo lambda watch`.
start_local_api() { # PORT [WATCH_OPTIONS...]
  API_PORT=$1
  shift
  ensure_venv
  export PATH="$VENV/bin:$PATH"

  step "building"
  cargo build --workspace --bins

  step "starting moto_server"
  start_moto "${MOTO_PORT:-}"

  # What the functions read at start-up (template.yaml sets the same in AWS, except
  # LOCAL_INSECURE_AUTH, which exists only here: there is no API Gateway locally to
  # verify tokens, so the functions, built with the `dev` feature, read claims from
  # unsigned bearer tokens; a release build has no such setting).
  export TABLE_NAME=invitations-dev
  export SENDER_EMAIL=invitations@example.com
  export APP_BASE_URL="${APP_BASE_URL:-http://localhost:3000}"
  # The link secret, in the emulator's Secrets Manager as in AWS; seed-demo creates
  # it with the key the links in requests/ are signed with (shared/src/dev/demo.rs).
  export LINK_SIGNING_SECRET_ID=invitations-dev/link-signing-secret
  export LOCAL_INSECURE_AUTH=1
  export RUST_LOG="${RUST_LOG:-info}"

  step "creating the table, the sender identity, the link secret and the demo team"
  local admin="$ROOT/target/debug/invitations-admin"
  "$admin" create-table
  "$admin" verify-sender --email "$SENDER_EMAIL"
  "$admin" seed-demo

  step "serving the API on http://127.0.0.1:$API_PORT (cargo lambda watch)"
  start_background "$STATE/watch.log" cargo lambda watch --invoke-address 127.0.0.1 --invoke-port "$API_PORT" \
    --features dev "$@"
  wait_for_port "$API_PORT" 120 "cargo lambda watch" "$STATE/watch.log"
}
