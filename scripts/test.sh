#!/usr/bin/env bash
# Installs what is missing, builds parsec twice (optimised, and with
# AddressSanitizer + UndefinedBehaviorSanitizer) and runs every test:
# C unit tests, the black-box suite through the Parse JS SDK and plain HTTP,
# and the shared REST conformance cases, against both builds, each suite on
# SQLite and on PostgreSQL (a scratch cluster this script starts and stops).
set -uo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh test || exit 1
jobs=$(nproc)
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null &&
  cmake --build build -j"$jobs" >/dev/null || { echo "build failed"; exit 1; }
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DPARSEC_SANITIZE=ON >/dev/null &&
  cmake --build build-asan -j"$jobs" >/dev/null || { echo "sanitizer build failed"; exit 1; }
(cd tests/blackbox && npm ci --no-audit --no-fund --loglevel=error) ||
  { echo "npm install failed"; exit 1; }

# The scratch PostgreSQL cluster (scripts/pg.sh) the PostgreSQL runs create
# their databases in. It lives in /tmp, not in the tree: as root it runs as
# the postgres user, who may not be able to enter the clone's folder. It is
# stopped and removed however this script ends (INT / TERM go through exit
# so that the EXIT trap runs).
pgdir=$(mktemp -d /tmp/parsec-test-pg.XXXXXX)
trap 'scripts/pg.sh stop "$pgdir"; rm -rf "$pgdir"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
pg_uri=$(scripts/pg.sh start "$pgdir" 13450) || { echo "PostgreSQL did not start"; exit 1; }

# Sanitizer reports fail the process that has them: the unit tests and the
# servers the suites start (which must then exit 0 on SIGTERM).
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

passed=0
failed=0
step() {
  local name=$1 start=$SECONDS; shift
  echo "=== $name"
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "=== FAILED: $name"; fi
  # The whole run must stay well inside CI's time limit: show where it goes.
  echo "=== $name: $((SECONDS - start)) s"
}

# The conformance cases on a new database (named $1) of the scratch cluster.
conformance_pg() {
  local uri
  uri=$(scripts/pg.sh newdb "$pgdir" "$1") || return 1
  CONFORMANCE_DATABASE_URI=$uri scripts/conformance.sh "$2" "$3"
}

step "unit tests" bash -c 'cd build && ctest --output-on-failure'
step "unit tests (sanitizers)" bash -c 'cd build-asan && ctest --output-on-failure'
step "black-box suite" env PARSEC_BIN="$PWD/build/parsec" PARSEC_PORT_BASE=13400 \
  bash -c 'cd tests/blackbox && node --test --test-concurrency=1 ./*.test.js'
step "black-box suite (sanitizers)" env PARSEC_BIN="$PWD/build-asan/parsec" PARSEC_PORT_BASE=13500 \
  bash -c 'cd tests/blackbox && node --test --test-concurrency=1 ./*.test.js'
step "conformance cases" scripts/conformance.sh build/parsec 13390
step "conformance cases (sanitizers)" scripts/conformance.sh build-asan/parsec 13391
# The same suites on PostgreSQL: every spawned server gets a new database.
step "black-box suite (PostgreSQL)" env PARSEC_BIN="$PWD/build/parsec" PARSEC_PORT_BASE=13600 \
  PARSEC_TEST_PG_URI="$pg_uri" bash -c 'cd tests/blackbox && node --test --test-concurrency=1 ./*.test.js'
step "black-box suite (sanitizers, PostgreSQL)" env PARSEC_BIN="$PWD/build-asan/parsec" PARSEC_PORT_BASE=13700 \
  PARSEC_TEST_PG_URI="$pg_uri" bash -c 'cd tests/blackbox && node --test --test-concurrency=1 ./*.test.js'
step "conformance cases (PostgreSQL)" conformance_pg parsec_conformance build/parsec 13392
step "conformance cases (sanitizers, PostgreSQL)" conformance_pg parsec_conformance_asan build-asan/parsec 13393
# parse-server 9.x (from npm) and parsec take over each other's database.
step "storage compatibility with parse-server" env COMPAT_DIR="$(mktemp -u /tmp/parsec-compat.XXXXXX)" \
  COMPAT_PG_PORT=13460 COMPAT_PS_PORT=13461 COMPAT_PARSEC_PORT=13462 \
  tests/compat/run.sh "$PWD/build/parsec"

echo "parsec: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
