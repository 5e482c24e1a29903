#!/usr/bin/env bash
# Sets up .venv and runs the whole test suite on up to 4 worker processes (pytest-xdist: the suite is mostly
# single-threaded XLA compiles, so a 2-core machine runs two at once). A run that collects no test fails.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup_venv.sh"
cd "$ROOT"
status=0
"$PYTHON" -m pytest -q -n auto --maxprocesses 4 --dist worksteal tests "$@" || status=$?
if [ "$status" -eq 5 ]; then
  echo "error: pytest collected no tests" >&2
  exit 1
fi
exit "$status"
