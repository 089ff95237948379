#!/usr/bin/env bash
# Installs what is missing, builds parsec twice (optimised, and with
# AddressSanitizer + UndefinedBehaviorSanitizer) and runs every test:
# C unit tests, the black-box suite through the Parse JS SDK and plain HTTP,
# and the shared REST conformance cases, against both builds.
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

# Sanitizer reports fail the process that has them: the unit tests and the
# servers the suites start (which must then exit 0 on SIGTERM).
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

passed=0
failed=0
step() {
  local name=$1; shift
  echo "=== $name"
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "=== FAILED: $name"; fi
}

step "unit tests" bash -c 'cd build && ctest --output-on-failure'
step "unit tests (sanitizers)" bash -c 'cd build-asan && ctest --output-on-failure'
step "black-box suite" env PARSEC_BIN="$PWD/build/parsec" PARSEC_PORT_BASE=13400 \
  bash -c 'cd tests/blackbox && node --test --test-concurrency=1 ./*.test.js'
step "black-box suite (sanitizers)" env PARSEC_BIN="$PWD/build-asan/parsec" PARSEC_PORT_BASE=13500 \
  bash -c 'cd tests/blackbox && node --test --test-concurrency=1 ./*.test.js'
step "conformance cases" scripts/conformance.sh build/parsec 13390
step "conformance cases (sanitizers)" scripts/conformance.sh build-asan/parsec 13391

echo "parsec: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
