#!/usr/bin/env bash
# Installs what is missing, builds parsec and starts it in the foreground on
# an embedded SQLite file (./parsec-data/parsec.sqlite) with a demo app:
#   appId myAppId, masterKey myMasterKey, http://127.0.0.1:1337/parse
# Any extra arguments are passed to parsec (e.g. --port 8080).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
mkdir -p parsec-data
exec build/parsec --appId myAppId --masterKey myMasterKey \
  --databaseURI parsec-data/parsec.sqlite --allowClientClassCreation true "$@"
