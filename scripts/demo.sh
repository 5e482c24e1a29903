#!/usr/bin/env bash
# Sets up .venv, synthesizes a small music dataset, trains a tiny SampleRNN for a few minutes on the
# CPU and generates audio. Everything goes to ./demo_output (or the folder given as $1).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup_venv.sh"
cd "$ROOT"
exec "$PYTHON" demo.py --output_dir "${1:-demo_output}"
