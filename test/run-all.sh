#!/usr/bin/env bash
# The whole test suite (`npm test`): services, type check, lint, dependency rules, then every
# Vitest project (unit and integration against the real Elasticsearch and Redis). Fails fast.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

RESULTS_DIR=.test-results
VITEST_JSON="$RESULTS_DIR/vitest.json"
TOTAL_STEPS=6
current=""
suite_start=$SECONDS
step_start=$SECONDS

step() {
  [[ -n "$current" ]] && printf '    done (%d s)\n' "$((SECONDS - step_start))"
  current="$2"
  step_start=$SECONDS
  printf '\n==> [%s/%s] %s\n' "$1" "$TOTAL_STEPS" "$2"
}

on_exit() {
  local status=$?
  if [[ $status -ne 0 ]]; then
    printf '\nFAILED at step: %s (exit %d, after %d s)\n' "${current:-setup}" "$status" "$((SECONDS - suite_start))" >&2
  fi
}
trap on_exit EXIT

# The Elasticsearch suites run against the newest server an installed JDK runs (9.x) and again
# against the newest 8.x, since users run both and the client must talk to both.
ES8_VERSION=8.19.21
ES8_PORT=9251

step 1 "test programs (rsyslog, logrotate, openssl, logger, hydra, sshd, poppler, docker compose) and services: Redis, Elasticsearch (newest) and Elasticsearch $ES8_VERSION (deploy/dev/services.sh)"
bash deploy/dev/test-tools.sh
# docker compose (for `docker compose config` of deploy/), a Dockerfile checker, nginx and syslog-ng,
# built or unpacked into .cache/deploy-tools when missing (no Docker engine runs here).
bash deploy/dev/compose.sh
bash deploy/dev/services.sh up
WATCHPOST_DEV_ES_VERSION=$ES8_VERSION WATCHPOST_DEV_ES_PORT=$ES8_PORT bash deploy/dev/services.sh up
eval "$(bash deploy/dev/services.sh env)"
ES8_URL="http://127.0.0.1:$ES8_PORT"
echo "WATCHPOST_TEST_ES_URL=$WATCHPOST_TEST_ES_URL WATCHPOST_TEST_REDIS_URL=$WATCHPOST_TEST_REDIS_URL (and $ES8_URL for $ES8_VERSION)"

step 2 "type check (server and console) and build (dist/, dist/console: the CLI and browser tests run the build)"
npx --no-install tsc -p tsconfig.json --noEmit
npx --no-install tsc -p console/tsconfig.json
npm run -s build -- --logLevel warn

step 3 "lint (eslint)"
npx --no-install eslint .

step 4 "dependency rules (depcruise) and the proof that they reject forbidden imports"
npm run -s depcheck
bash test/depcheck-proof.sh

step 5 "tests (vitest: unit and integration)"
mkdir -p "$RESULTS_DIR"
rm -f "$RESULTS_DIR"/vitest*.json
set +e
npx --no-install vitest run --reporter=default --reporter=json --outputFile.json="$VITEST_JSON"
vitest_status=$?
set -e

step 6 "Elasticsearch $ES8_VERSION: the Elasticsearch suites again against the newest 8.x"
VITEST_ES8_JSON="$RESULTS_DIR/vitest-es8.json"
set +e
WATCHPOST_TEST_ES_URL="$ES8_URL" npx --no-install vitest run --project int backends/elasticsearch cli test/conformance \
  --reporter=default --reporter=json --outputFile.json="$VITEST_ES8_JSON"
es8_status=$?
set -e

# The summary line comes from the JSON report, so it counts what actually ran. A skipped or todo
# test is not a passing test: the suite fails if there is any, and if nothing ran at all.
summary_status=0
node - "$VITEST_JSON" "$VITEST_ES8_JSON" <<'EOF' || summary_status=$?
const fs = require('node:fs');
let passed = 0;
let failed = 0;
let skipped = 0;
let ok = true;
const suites = [];
for (const file of process.argv.slice(2)) {
  if (!fs.existsSync(file)) {
    console.error(`no Vitest JSON report at ${file}`);
    process.exit(1);
  }
  const r = JSON.parse(fs.readFileSync(file, 'utf8'));
  passed += r.numPassedTests ?? 0;
  failed += r.numFailedTests ?? 0;
  skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  ok = ok && r.success === true;
  suites.push(...(r.testResults ?? []));
}
ok = ok && failed === 0 && skipped === 0;
// A file that fails to load has no failed test but a failed suite: name it.
for (const suite of suites) {
  const tests = suite.assertionResults ?? [];
  if (suite.status === 'failed' && !tests.some((t) => t.status === 'failed')) {
    console.error(`suite failed without a failing test: ${suite.name}\n  ${(suite.message ?? '').split('\n')[0]}`);
    ok = false;
  }
  for (const t of tests) {
    if (t.status === 'skipped' || t.status === 'pending' || t.status === 'todo') {
      console.error(`not run (${t.status}): ${suite.name} > ${t.fullName ?? t.title}`);
    }
  }
}
if (passed + failed + skipped === 0) {
  console.error('no tests ran');
  ok = false;
}
console.log(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`);
process.exit(ok ? 0 : 1);
EOF

if [[ $vitest_status -ne 0 || $es8_status -ne 0 || $summary_status -ne 0 ]]; then
  exit 1
fi
printf '    ok (%d s)\n\nall steps passed in %d s\n' "$((SECONDS - step_start))" "$((SECONDS - suite_start))"
