#!/usr/bin/env bash
# Installs what building (and, with "test", testing) parsec needs from
# Debian's packages, skipping what is already there. Runs as root or
# through sudo. Usage: scripts/deps.sh [test]
set -euo pipefail

build_pkgs=(build-essential cmake pkg-config libmicrohttpd-dev libjansson-dev
            libsqlite3-dev libpcre2-dev libcrypt-dev libcurl4-openssl-dev
            libpq-dev)
# postgresql: the server (and psql) for the scratch cluster the suites also
# run against (scripts/pg.sh).
test_pkgs=(nodejs npm curl postgresql)

want=("${build_pkgs[@]}")
if [ "${1:-}" = "test" ]; then
  want+=("${test_pkgs[@]}")
fi

missing=()
for p in "${want[@]}"; do
  # npm may come bundled with a nodejs package instead of its own.
  if [ "$p" = npm ] && command -v npm >/dev/null 2>&1; then continue; fi
  if [ "$p" = nodejs ] && command -v node >/dev/null 2>&1; then continue; fi
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" \
    || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "deps: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
