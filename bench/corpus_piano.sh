#!/usr/bin/env bash
# The piano corpus of the benchmarks, next to bench/corpus_warzone.sh: builds it with the shared script
# (music21 scores rendered by FluidSynth, ~42 minutes of 8-s 16 kHz chunks, ~2 min) and writes its reference
# figures (reference_stats.json: level, silence, flatness) with bench/corpus_stats.py.
#
#   bash bench/corpus_piano.sh OUT        # needs ../shared beside the repository (as CI has it)
set -euo pipefail
OUT="${1:?usage: bench/corpus_piano.sh OUT}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
[ -x "$PYTHON" ] || PYTHON=python3
MAKE="$ROOT/../shared/corpus/make_piano.sh"
[ -f "$MAKE" ] || { echo "error: $MAKE not found: the piano corpus is built by the shared corpus scripts" >&2; exit 1; }
bash "$MAKE" "$OUT"
"$PYTHON" "$ROOT/bench/corpus_stats.py" "$OUT"
