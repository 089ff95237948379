#!/usr/bin/env bash
# Starts a parsec binary configured as the shared conformance cases expect
# (appId app, masterKey master, restAPIKey rest, javascriptKey js, client
# class creation on), runs the cases of the API areas parsec serves, stops
# the server and checks it exited cleanly (0, which also means no sanitizer
# report in a sanitizer build).
# Usage: scripts/conformance.sh PARSEC_BIN [PORT]
# The server uses a fresh SQLite file, or CONFORMANCE_DATABASE_URI when set
# (e.g. a new, empty PostgreSQL database from scripts/pg.sh newdb).
set -uo pipefail
cd "$(dirname "$0")/.."

bin=${1:?usage: scripts/conformance.sh PARSEC_BIN [PORT]}
port=${2:-13390}
shared=${SHARED_DIR:-../shared}
runner="$shared/conformance/run.js"
[ -f "$runner" ] || { echo "conformance: $runner not found (set SHARED_DIR)"; exit 1; }

# The areas parsec serves today; the others (schemas, files, push, ...) join
# as they are built.
areas=('objects-*' 'json-*' 'keys-*' 'batch-*' 'query-*' 'users-*' 'sessions-*'
       'roles-*' 'acl-*' 'schemas-*' 'clp-*' 'authdata-*')

db=$(mktemp -d)
# The needs:custom-auth cases expect a provider casesAuth that accepts the
# token "valid" (checked by a local introspection stand-in) and a provider
# casesDisabled that is configured but off.
# The needs:email and needs:config cases expect an email sender (a local
# SMTP sink here), unknown emails reported as errors and a 1 MB body limit.
node scripts/introspect-mock.js >"$db/mock.port" &
mock=$!
node scripts/smtp-sink.js "$db/mail" >"$db/smtp.port" &
smtp=$!
for _ in $(seq 1 50); do
  [ -s "$db/mock.port" ] && [ -s "$db/smtp.port" ] && break
  sleep 0.1
done
cat >"$db/config.json" <<JSON
{"auth": {"casesAuth": {"introspectionURL": "http://127.0.0.1:$(head -1 "$db/mock.port")/introspect"},
          "casesDisabled": {"introspectionURL": "http://127.0.0.1:9/", "enabled": false}},
 "emailAdapter": {"smtpURL": "smtp://127.0.0.1:$(head -1 "$db/smtp.port")", "from": "parsec@example.com"},
 "appName": "conformance", "publicServerURL": "http://127.0.0.1:$port/parse",
 "verifyUserEmails": true, "emailVerifySuccessOnInvalidEmail": false,
 "passwordPolicy": {"resetPasswordSuccessOnInvalidEmail": false},
 "maxUploadSize": "1mb"}
JSON
"$bin" "$db/config.json" --appId app --masterKey master --restAPIKey rest \
  --javascriptKey js --allowClientClassCreation true --host 127.0.0.1 \
  --port "$port" --databaseURI "${CONFORMANCE_DATABASE_URI:-$db/conformance.sqlite}" >"$db/server.log" 2>&1 &
pid=$!

up=0
for _ in $(seq 1 100); do
  if curl -sf "http://127.0.0.1:$port/parse/health" >/dev/null 2>&1; then up=1; break; fi
  sleep 0.1
done
if [ "$up" != 1 ]; then
  echo "conformance: parsec did not start"; cat "$db/server.log"
  kill "$pid" "$mock" "$smtp" 2>/dev/null; rm -rf "$db"; exit 1
fi

BASE_URL="http://127.0.0.1:$port/parse" APP_ID=app MASTER_KEY=master \
  REST_KEY=rest JS_KEY=js node "$runner" "${areas[@]}"
rc=$?

kill -TERM "$pid"
wait "$pid"
server_rc=$?
kill -TERM "$mock" "$smtp" 2>/dev/null
wait "$mock" "$smtp" 2>/dev/null
if [ "$server_rc" != 0 ]; then
  echo "conformance: parsec exited with $server_rc"; tail -50 "$db/server.log"
  rc=1
fi
rm -rf "$db"
exit "$rc"
