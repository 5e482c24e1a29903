#!/bin/bash
# corpus_warzone.sh OUT_DIR [MINUTES=120]
#
# The second benchmark corpus (issue 22): the game soundtrack that Debian's `warzone2100-music` package ships
# (three albums: Martin Severn's original soundtrack, LupusMechanicus' Legacy and Aftermath soundtracks;
# cinematic/electronic/industrial music, no piano; Ogg Opus, 48 kHz stereo). Recordings as shipped, not rendered
# by us. The package is downloaded and unpacked under $CORPUS_CACHE (default /tmp/corpus_cache): nothing is
# installed. Tracks are taken round-robin over the albums, each whole, until MINUTES of source audio, then cut by
# the project's own chunk_audio.py into 16 kHz mono 8-second chunks (its default -60 dBFS silent-chunk rule).
# Finally bench/corpus_stats.py writes OUT_DIR/reference_stats.json: minutes, level, silence and flatness of the
# whole corpus and of the held-out files (bench/quality.py's and train.py's split: 10 %, seed 0).
# Licences: CC-BY-SA-3.0+ or GPL-2+ (Legacy, Aftermath), GPL-2+ (original soundtrack); see OUT_DIR/SOURCES.txt.
set -euo pipefail
OUT="${1:?usage: corpus_warzone.sh OUT_DIR [MINUTES]}"
MINUTES="${2:-120}"
PACKAGE=warzone2100-music
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
[ -x "$PYTHON" ] || PYTHON=python3
CACHE="${CORPUS_CACHE:-/tmp/corpus_cache}"
T0=$(date +%s)

if [ -e "$OUT" ] && [ -n "$(ls -A "$OUT")" ]; then
  echo "error: $OUT exists and is not empty" >&2
  exit 2
fi
mkdir -p "$CACHE/debs"
if ! ls "$CACHE/debs/${PACKAGE}_"*.deb >/dev/null 2>&1; then
  (cd "$CACHE/debs" && apt-get download -qq "$PACKAGE")
fi
DEB=$(ls "$CACHE/debs/${PACKAGE}_"*.deb | sort | tail -1)
UNPACKED="$CACHE/x/$PACKAGE"
if [ ! -d "$UNPACKED" ]; then
  mkdir -p "$UNPACKED.tmp" && dpkg-deb -x "$DEB" "$UNPACKED.tmp" && mv "$UNPACKED.tmp" "$UNPACKED"
fi
ALBUMS="$UNPACKED/usr/share/games/warzone2100/music/albums"

# The project reads .ogg (libsndfile finds the Opus codec inside the Ogg container by itself), not .opus:
# the picked tracks are linked into a staging folder under .ogg names.
STAGE=$(mktemp -d /tmp/warzone_stage.XXXXXX)
trap 'rm -rf "$STAGE"' EXIT
"$PYTHON" - "$ALBUMS" "$STAGE" "$MINUTES" <<'EOF'
import os, sys
import soundfile as sf
albums, stage, minutes = sys.argv[1], sys.argv[2], float(sys.argv[3])
names = ("original_soundtrack", "legacy_soundtrack", "aftermath_soundtrack")
tracks = [sorted(os.path.join(albums, a, f) for f in os.listdir(os.path.join(albums, a)) if f.endswith(".opus"))
          for a in names]
total = 0.0
for i in range(max(len(t) for t in tracks)):  # round-robin: every album contributes from the first minutes on
    for album, files in zip(names, tracks):
        if i < len(files) and total < minutes * 60:
            total += sf.info(files[i]).duration
            name = f"{album.split('_')[0]}_{os.path.basename(files[i])[:-5]}.ogg"
            os.symlink(files[i], os.path.join(stage, name))
            print(f"{name} {sf.info(files[i]).duration / 60:.1f} min")
print(f"picked {len(os.listdir(stage))} tracks, {total / 60:.1f} minutes")
EOF
ls "$STAGE" > "$STAGE.tracks"
"$PYTHON" "$ROOT/chunk_audio.py" --input_dir "$STAGE" --output_dir "$OUT" --chunk_length 8000 --sample_rate 16000
mv "$STAGE.tracks" "$OUT/tracks.txt"
{
  echo "warzone corpus: Debian package $PACKAGE $(dpkg-deb -f "$DEB" Version), $(basename "$DEB")"
  echo "  sha256 $(sha256sum "$DEB" | cut -c1-64); tracks in tracks.txt (<album>_<track>), cut by chunk_audio.py"
  echo "Licences (usr/share/doc/$PACKAGE/copyright and each album's license.txt):"
  echo "  Legacy and Aftermath soundtracks (c) 2019-2022 LupusMechanicus: CC-BY-SA-3.0 or later, or GPL-2+"
  echo "  (Aftermath's track3_enhanced, derived from Martin Severn's track3: GPL-2+);"
  echo "  original soundtrack by Martin Severn (1999), (c) 1999-2004 Eidos Interactive: GPL-2+ (the copyright file's"
  echo "  'Files: *'), released with the game's source."
} > "$OUT/SOURCES.txt"
"$PYTHON" "$ROOT/bench/corpus_stats.py" "$OUT"
echo "build wall time: $(( $(date +%s) - T0 )) s"
