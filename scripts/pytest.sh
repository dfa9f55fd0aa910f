#!/usr/bin/env bash
# Runs the whole suite. pytest's exit 5 (no test collected) is a failure here.
set -uo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -m pytest "$@"
code=$?
if [ "$code" = 5 ]; then
  echo "pytest collected no test: failing" >&2
  exit 1
fi
exit "$code"
