#!/usr/bin/env bash
# SIGKILL a running loop mid-way, start a new one, then check duplicates and final counts.
# usage: kill_test.sh confluent|faust EXECUTIONS EVENTS_PER_EXECUTION KILL_AFTER_SECONDS
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
project_python=${PROJECT_PYTHON:-$here/../../.venv/bin/python}
faust=${FAUST:-/tmp/faust-venv/bin/faust}
kind=$1 executions=$2 per=$3 kill_after=$4
prefix=fxk_${kind}_$(date +%s)_
cd "$here"
"$project_python" produce.py "$prefix" "$executions" "$per"
run() {
  if [ "$kind" = confluent ]; then
    setsid "$project_python" confluent_loop.py "$prefix" 0 --stay >>"/tmp/$prefix$1.log" 2>&1 &
  else
    FX_PREFIX=$prefix FX_GUARANTEE=${FX_GUARANTEE:-exactly_once} setsid "$faust" -A faust_app worker -l warn --without-web >>"/tmp/$prefix$1.log" 2>&1 &
  fi
  echo $!
}
pid=$(run first)
sleep "$kill_after"
kill -KILL -- -"$pid" || true
echo "killed at $(date +%s.%N)"; killed=$(date +%s.%N)
pid=$(run second)
echo "restarted at $(date +%s.%N)"
sleep "${WAIT_AFTER:-60}"
kill -KILL -- -"$pid" 2>/dev/null || true
changelog=${prefix}changelog
[ "$kind" = faust ] && changelog=${prefix}faust-states-changelog
"$project_python" check.py "$prefix" "$executions" "$per" "$changelog"
grep -hE "restored|first batch|confluent:|faust:" "/tmp/${prefix}first.log" "/tmp/${prefix}second.log" || true
grep -h "progress" "/tmp/${prefix}second.log" | awk '{print $(NF-1), $NF}' | head -30 | tr '\n' ' ' || true
echo
