#!/usr/bin/env bash
# Mutation testing (mutmut) of the pure core and the parsers, each module against its own unit
# tests only, and the score of each module: raw, and adjusted (equivalent mutants set aside,
# scripts/mutation_equivalent.txt).
#
#   scripts/mutation.sh                       # every module of [tool.mutmut] only_mutate
#   scripts/mutation.sh domain/ari.py ...     # only these (the middleware/ prefix is optional)
#
# MUTATION_TIMEOUT_S (default 1800) bounds each module's run; mutants it leaves unrun count as
# not caught. MUTATION_MAX_CHILDREN (default 2) mutants run at once. Exits 1 if a run failed or
# timed out. mutmut works in mutants/ (git-ignored), rebuilt for each module.
set -uo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-.venv/bin/python}
timeout_s=${MUTATION_TIMEOUT_S:-1800}
max_children=${MUTATION_MAX_CHILDREN:-2}

if [ "$#" -gt 0 ]; then
  modules=("$@")
else
  mapfile -t modules < <("$python" -m scripts.mutation modules)
fi

summary=$(mktemp)
log=$(mktemp)
trap 'rm -f "$summary" "$log"' EXIT
failed=0
for module in "${modules[@]}"; do
  echo "=== $module: mutmut against its own unit tests (at most ${timeout_s}s)"
  started=$SECONDS
  timeout --kill-after=30 "$timeout_s" \
    "$python" -m scripts.mutation run "$module" --max-children "$max_children" >"$log" 2>&1
  status=$?
  echo "    ran $((SECONDS - started))s"
  flags=()
  if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
    flags=(--timed-out)
    failed=1
  elif [ "$status" -ne 0 ]; then
    echo "mutmut failed on $module (exit $status); the end of its output:"
    tail -n 40 "$log" | tr '\r' '\n' | tail -n 40
    echo "$module: no score, the run failed (exit $status)" >>"$summary"
    failed=1
    continue
  fi
  "$python" -m scripts.mutation score "$module" --summary "$summary" "${flags[@]}" || failed=1
done

echo
echo "=== mutation scores"
cat "$summary"
exit "$failed"
