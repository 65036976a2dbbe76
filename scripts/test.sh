#!/usr/bin/env bash
# Runs every test with tap, one file at a time (integration tests share hugepages and
# create devices), each bounded in time, and ends with one summary line:
#   summary: N passed, N failed, N skipped      (test files)
# Unit tests: packages/*/test/*.test.*, run from their package directory.
# Integration tests: test/*.test.*, run from the repository root.
# A whole run then type-checks the tests, lints (npm run lint), checks the C/C++ layout
# (npm run format:check) and checks the clean-up;
# each of these counts as one passed or failed file in the summary.
# Usage: bash scripts/test.sh [file...]        (default: all of them)
# Env: GAZELLE_TEST_TIMEOUT (s per file, default 300), GAZELLE_TEST_VERBOSE=1 (child logs).
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
per_file=${GAZELLE_TEST_TIMEOUT:-300}
tap_bin="$root/node_modules/.bin/tap"
logdir=${GAZELLE_TEST_LOGS:-$(mktemp -d /tmp/gazelle-test.XXXXXX)}
mkdir -p "$logdir"
started=$(date +%s)

say() { printf '[test] %s\n' "$*"; }

[ -x "$tap_bin" ] || { say "tap is not installed: run npm run setup"; echo "summary: 0 passed, 1 failed"; exit 1; }

alive() { kill -0 "$1" 2>/dev/null; }

# Leftovers of earlier runs whose process is gone: tap devices gzt<pid36>-*, namespaces
# gzt-<pid>-*, test memif sockets, DPDK hugepage files and runtime dirs gazelle-<pid>.
# With "check", only lists what this run left behind (files newer than the run start).
sweep() {
  local mode=$1 found=0 name pid f
  for name in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1 | grep -E '^gzt[0-9a-z]+-' || true); do
    pid=$(node -e 'process.stdout.write(String(parseInt(process.argv[1].slice(3).split("-")[0], 36)))' "$name")
    alive "$pid" && continue
    found=$((found + 1)); [ "$mode" = check ] && say "left behind: tap device $name"
    ip link del dev "$name" 2>/dev/null || true
  done
  for name in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^gzt-[0-9]+-' || true); do
    pid=$(echo "$name" | cut -d- -f2)
    alive "$pid" && continue
    found=$((found + 1)); [ "$mode" = check ] && say "left behind: network namespace $name"
    ip netns del "$name" 2>/dev/null || true
  done
  for f in /run/gazelle/test-*.sock; do
    [ -e "$f" ] || continue
    # in use while some process holds it open (a live memif server)
    grep -q " $f\$" /proc/net/unix 2>/dev/null && continue
    if [ "$mode" = check ] && [ "$(stat -c %Y "$f")" -ge "$started" ]; then found=$((found + 1)); say "left behind: $f"; fi
    rm -f "$f"
  done
  for f in /dev/hugepages/gazelle-* /var/run/dpdk/gazelle-*; do
    [ -e "$f" ] || continue
    pid=$(basename "$f" | sed -E 's/^gazelle-([0-9]+).*/\1/')
    [[ "$pid" =~ ^[0-9]+$ ]] || continue
    alive "$pid" && continue
    if [ "$mode" = check ] && [ "$(stat -c %Y "$f")" -ge "$started" ]; then found=$((found + 1)); say "left behind: $f (pid $pid)"; fi
    rm -rf "$f"
  done
  return $found
}

if [ "$(id -u)" != 0 ]; then
  say "warning: not root: integration tests need root (DPDK, tap devices, namespaces) and will fail or skip"
fi
if [ -n "${CI:-}" ]; then
  missing=()
  for f in native/build/Release/gazelle.node packages/stack/dist/index.js; do [ -f "$f" ] || missing+=("$f"); done
  if [ ${#missing[@]} -gt 0 ]; then
    say "CI: the build is missing (${missing[*]}): scripts/setup.sh must have failed"
    echo "summary: 0 passed, 1 failed"
    exit 1
  fi
fi
sweep clean; stale=$?
[ "$stale" -gt 0 ] && say "removed $stale leftover(s) of earlier runs"
grep -E '^HugePages_(Total|Free)' /proc/meminfo | tr -s ' ' | paste -sd' ' | sed 's/^/[test] /'

# The files to run, unit tests first, then the harness self-check, then the rest.
files=()
if [ $# -gt 0 ]; then
  files=("$@")
else
  shopt -s nullglob
  for f in packages/*/test/*.test.{ts,js,mjs,cjs}; do files+=("$f"); done
  for f in test/harness.test.*; do files+=("$f"); done
  for f in test/*.test.{ts,js,mjs,cjs}; do [[ "$f" == test/harness.test.* ]] || files+=("$f"); done
  shopt -u nullglob
fi
if [ ${#files[@]} -eq 0 ]; then say "no test files found"; echo "summary: 0 passed, 1 failed"; exit 1; fi

passed=0 failed=0 skipped=0 a_pass=0 a_fail=0 a_skip=0
failures=()
for f in "${files[@]}"; do
  # Unit tests run in their package (its tsconfig); integration tests from the root.
  if [[ "$f" == packages/*/test/* ]]; then
    dir=${f%%/test/*}; rel=${f#"$dir"/}; tsconfig=tsconfig.json
  else
    dir=.; rel=$f; tsconfig=test/tsconfig.json
  fi
  log="$logdir/$(echo "$f" | tr '/' '_').log"
  say "=== $f"
  t0=$(date +%s)
  (cd "$dir" && timeout -k 20 $((per_file + 60)) "$tap_bin" --disable-coverage --jobs=1 \
      --timeout="$per_file" --tsconfig="$tsconfig" --reporter=tap "$rel") >"$log" 2>&1
  rc=$?
  dt=$(( $(date +%s) - t0 ))
  # tap's last "# { total: N, pass: N, fail: N, skip: N }" line
  counts=$(grep -E '^# \{ total:' "$log" | tail -1)
  get() { echo "$counts" | grep -oE "$1: [0-9]+" | grep -oE '[0-9]+' || echo 0; }
  p=$(get pass); fl=$(get fail); s=$(get skip)
  a_pass=$((a_pass + p)); a_fail=$((a_fail + fl)); a_skip=$((a_skip + s))
  if [ $rc -eq 0 ] && [ "$p" -eq 0 ] && [ "$s" -gt 0 ]; then
    skipped=$((skipped + 1)); verdict="skipped"
    grep -E '# SKIP' "$log" | head -3 | sed 's/^ */    /'
  elif [ $rc -eq 0 ]; then
    passed=$((passed + 1)); verdict="passed"
  else
    failed=$((failed + 1)); failures+=("$f")
    [ $rc -eq 124 ] || [ $rc -eq 137 ] && verdict="FAILED (killed after $((per_file + 60)) s)" || verdict="FAILED (exit $rc)"
    # The failing assertions and the end of the output, then the full log's path.
    grep -nE '^\s*not ok' "$log" | head -20 | sed 's/^/    /'
    tail -40 "$log" | sed 's/^/    | /'
  fi
  say "$verdict: $f in ${dt}s (asserts: $p pass, $fl fail, $s skip) log: $log"
done

# The tests type-check (tap only transpiles): the integration tests against the packages'
# types, the unit tests against their sources.
if [ $# -eq 0 ]; then
  for tc in test/tsconfig.json packages/tsconfig.test.json; do
    what=$(dirname "$tc")/
    [ "$tc" = packages/tsconfig.test.json ] && what="packages/*/test/"
    log="$logdir/typecheck-$(echo "$tc" | tr '/' '_').log"
    if "$root/node_modules/.bin/tsc" -p "$tc" >"$log" 2>&1; then
      passed=$((passed + 1)); say "passed: type-check of $what (tsc -p $tc)"
    else
      failed=$((failed + 1)); failures+=("type-check of $what")
      say "FAILED: type-check of $what:"; head -30 "$log" | sed 's/^/    | /'
    fi
  done
fi

# Lint (eslint.config.js): bug patterns in the TypeScript and JavaScript, not layout.
if [ $# -eq 0 ]; then
  log="$logdir/lint.log"
  t0=$(date +%s)
  if (cd "$root" && npm run --silent lint) >"$log" 2>&1; then
    passed=$((passed + 1)); say "passed: lint (npm run lint) in $(( $(date +%s) - t0 ))s"
  else
    failed=$((failed + 1)); failures+=("lint (npm run lint)")
    say "FAILED: lint (npm run lint; eslint.config.js):"; head -60 "$log" | sed 's/^/    | /'
  fi
fi

# Layout of the C/C++ sources (.clang-format): a file that differs fails the run.
if [ $# -eq 0 ]; then
  log="$logdir/format.log"
  if (cd "$root" && npm run --silent format:check) >"$log" 2>&1; then
    passed=$((passed + 1)); say "passed: format check (npm run format:check)"
  else
    failed=$((failed + 1)); failures+=("format check (npm run format:check)")
    say "FAILED: format check (npm run format:check; npm run format rewrites the files):"; head -40 "$log" | sed 's/^/    | /'
  fi
fi

# Every test must clean up its taps, namespaces, memif sockets and hugepage files.
sweep check; left=$?
if [ "$left" -gt 0 ]; then
  failed=$((failed + 1)); failures+=("cleanup check: $left leftover(s)")
  say "FAILED: cleanup check: tests left $left resource(s) behind (removed now)"
else
  say "passed: cleanup check (no taps, namespaces, sockets or hugepage files left behind)"
  passed=$((passed + 1))
fi

say "assertions: $a_pass pass, $a_fail fail, $a_skip skip; $(( $(date +%s) - started ))s in all; logs in $logdir"
for f in "${failures[@]}"; do say "failed: $f"; done
echo "summary: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
