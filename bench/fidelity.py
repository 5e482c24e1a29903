"""Fidelity of generated audio files against a benchmark corpus: how far they are from its real audio.

    python bench/fidelity.py --data_dir /tmp/piano --generated /tmp/q/run/hold/*.wav [--q_type mu-law]
                             [--json out.json]

The reference is the corpus's held-out files (bench/quality.py's split: 10 %, seed 0), the floor its training
files (as many clips as the generated files hold), as evaluate.py --generated measures against a run; with
`--q_type`, also those training clips through the models' quantizer (`--q_levels` levels), as evaluate.py does
for a run's own quantization. Prints `samplernn.fidelity`'s line and the band balance; `--json` also writes the
figures.
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from samplernn.config import Q_TYPES  # noqa: E402
from saved import quality_split  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data_dir", required=True, help="the corpus bench/quality.py trained on")
    p.add_argument("--generated", nargs="+", required=True, help="generated audio files")
    p.add_argument("--sample_rate", type=int, default=16000)
    p.add_argument("--q_type", choices=Q_TYPES,
                   help="also measure the floor's real audio through this quantizer (the models' q_type)")
    p.add_argument("--q_levels", type=int, default=256, help="the quantizer's levels (with --q_type)")
    p.add_argument("--json", help="write the figures to this file")
    args = p.parse_args()
    from samplernn.audio import load_audio
    from samplernn.fidelity import describe_bands, describe_fidelity, fidelity_of_files, reference_of_files

    train, held_out = quality_split(args.data_dir)
    generated = [load_audio(path, args.sample_rate, notice=lambda *_: None) for path in args.generated]
    quantization = (args.q_type, args.q_levels) if args.q_type else None
    figures = fidelity_of_files(generated, reference_of_files(held_out, args.sample_rate), train, args.sample_rate,
                                quantization=quantization)
    print(f"{len(generated)} generated files against {len(held_out)} held-out files of {args.data_dir}")
    print(describe_fidelity(figures))
    print(describe_bands(figures))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(figures, f, indent=1)


if __name__ == "__main__":
    main()
