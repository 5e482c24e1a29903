"""A corpus's own figures: minutes, level, silence and spectral flatness, of all its files and of the held-out ones.

    python bench/corpus_stats.py /tmp/corpus2 [--val_frac 0.1] [--seed 0]

The held-out files are those of bench/quality.py's split (and train.py's with its defaults): `split_files` with
10 %, seed 0. The figures are `samplernn.quality.reference_figures`, the ones bench/hold.py judges generated audio
against: RMS (dBFS, mean over files), silence fraction (20-ms windows below -50 dBFS), spectral flatness (mean of
the files' medians), and the share of 5-second stretches below -45 dBFS / at least 0.05 flat; and how many
held-out files themselves pass bench/hold.py's test against those figures (what a perfect model would score).
Writes DIR/reference_stats.json and prints a table.
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("data_dir")
    p.add_argument("--val_frac", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--sample_rate", type=int, default=16000)
    return p.parse_args()


def main():
    args = parse_args()
    from samplernn.audio import load_audio
    from samplernn.data import list_training_files, split_files
    from samplernn.quality import hold_verdict, reference_figures

    files = list_training_files(args.data_dir)
    _, held_out = split_files(files, args.val_frac, seed=args.seed)
    audio = {path: load_audio(path, args.sample_rate, notice=lambda *_: None) for path in files}
    stats = {"all": reference_figures(list(audio.values()), args.sample_rate),
             "heldout": reference_figures([audio[p] for p in held_out], args.sample_rate),
             "split": {"val_frac": args.val_frac, "seed": args.seed},
             "heldout_verdicts": {},
             "disk_MiB": round(sum(os.path.getsize(p) for p in files) / 2 ** 20, 1)}
    for path in held_out:
        verdict = hold_verdict(audio[path], args.sample_rate, stats["heldout"])["verdict"]
        stats["heldout_verdicts"][verdict] = stats["heldout_verdicts"].get(verdict, 0) + 1
    with open(os.path.join(args.data_dir, "reference_stats.json"), "w") as f:
        json.dump(stats, f, indent=1)
    print("| files | count | minutes | RMS dBFS | silence | flatness | stretches < -45 dBFS | stretches >= 0.05 flat |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name in ("all", "heldout"):
        s = stats[name]
        print(f"| {name} | {s['files']} | {s['minutes']:.1f} | {s['rms_db']:.1f} | {s['silence_fraction']:.1%} "
              f"| {s['flatness']:.4f} | {s['quiet_stretch_share']:.1%} | {s['flat_stretch_share']:.1%} |")
    print(f"held-out files judged by bench/hold.py's criteria against their own figures: {stats['heldout_verdicts']}")


if __name__ == "__main__":
    main()
