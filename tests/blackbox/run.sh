#!/usr/bin/env bash
# Runs the black-box suite (all *.test.js, or the files given) with Node's
# built-in test runner, one file at a time.
#
#   ./run.sh                         # against a fresh parsec per file (../../build/parsec)
#   PARSEC_BIN=/path/to/parsec ./run.sh objects.test.js
#   TARGET_URL=http://127.0.0.1:14000/parse TARGET_KIND=parse-server \
#     PARSE_SERVER_CLI=.../node_modules/parse-server/bin/parse-server \
#     TARGET_DATABASE_URI=postgres://postgres@127.0.0.1:14050/parse ./run.sh
#
# See README.md for the environment variables.
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -d node_modules/parse ]; then
  npm install --no-audit --no-fund >&2
fi
if [ "$#" -gt 0 ]; then
  files=("$@")
else
  files=(*.test.js)
fi
exec node --test --test-concurrency=1 --test-reporter=spec "${files[@]}"
