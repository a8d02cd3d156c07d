#!/usr/bin/env bash
# Proof that the dependency rules bite: run depcruise with the real .dependency-cruiser.cjs over
# the fake tree in test/fixtures/depcheck/forbidden (the config anchors its patterns at
# WATCHPOST_DEPCHECK_ROOT) and assert that it fails, naming each broken rule at the file that
# breaks it, and that the files which keep the rules are not reported.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

FIXTURE=test/fixtures/depcheck/forbidden
out="$(mktemp)"
trap 'rm -f "$out"' EXIT

set +e
WATCHPOST_DEPCHECK_ROOT="$FIXTURE" npx --no-install depcruise --config .dependency-cruiser.cjs \
  --output-type err "$FIXTURE" >"$out" 2>&1
status=$?
set -e

fail() {
  echo "depcheck proof FAILED: $*" >&2
  echo "--- depcruise output (exit $status) ---" >&2
  cat "$out" >&2
  exit 1
}

[[ $status -ne 0 ]] || fail "depcruise accepted a tree that breaks the rules"

# rule name                        file that breaks it (relative to the fixture root)
expected=(
  "core-imports-nothing            core/x.ts"
  "no-circular                     engine/a.ts"
  "not-to-unresolvable             ingest/typo.ts"
  "production-not-to-tests         ingest/leak.ts"
  "nothing-imports-cli             engine/uses-cli.ts"
  "engine-imports-only-core        engine/uses-cli.ts"
  "backend-not-to-other-backend    backends/redis/store.ts"
  "api-imports-core-engine-actions api/server.ts"
  "console-api-type-only           console/app.ts"
)
for line in "${expected[@]}"; do
  read -r rule file <<<"$line"
  grep -Eq "error ${rule}: ${FIXTURE}/${file} " "$out" || fail "rule ${rule} not reported for ${file}"
done

# Files that keep the rules: allowed imports must not be reported.
for file in ingest/y.ts ingest/y.test.ts console/types-ok.ts cli/main.ts; do
  if grep -Eq "error [a-z-]+: ${FIXTURE}/${file} " "$out"; then
    fail "an allowed import in ${file} was reported"
  fi
done

echo "depcheck proof: depcruise exited ${status} and reported all ${#expected[@]} expected violations, none for the allowed imports"
