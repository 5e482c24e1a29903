"""The built-in demo: synthesize a small music dataset, train a tiny SampleRNN briefly, generate audio.

    python demo.py [--output_dir demo_output] [--minutes 3] [--num_epochs 4]

Runs the real train.py and generate.py on the data it makes, so it shows the whole workflow.
"""

import argparse
import os
import sys

import generate
import train
from samplernn.cli import positive_float, positive_int

DEMO_CONFIG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "configs", "demo.json")


def build_parser():
    p = argparse.ArgumentParser(description="Synthesize music, train a tiny SampleRNN on it, generate audio.")
    p.add_argument("--output_dir", default="demo_output", help="folder for the data, the run and the audio")
    p.add_argument("--minutes", type=positive_float, default=3.0, help="minutes of synthesized training audio")
    p.add_argument("--num_epochs", type=positive_int, default=8, help="training epochs")
    return p


def main(argv=None):
    args = build_parser().parse_args(argv)
    from samplernn.demo_data import make_demo_dataset

    data_dir = os.path.join(args.output_dir, "data")
    if not os.path.isdir(data_dir):
        paths = make_demo_dataset(data_dir, minutes=args.minutes)
        print(f"Synthesized {len(paths)} chunks of piano-like tunes in {data_dir}")
    logdir = os.path.join(args.output_dir, "logdir")
    status = train.main(["--data_dir", data_dir, "--logdir_root", logdir, "--id", "demo", "--config_file",
                         DEMO_CONFIG, "--num_epochs", str(args.num_epochs), "--batch_size", "8",
                         "--max_generate_per_epoch", "1", "--output_file_dur", "2", "--early_stopping_patience", "0"])
    if status:
        return status
    from samplernn.checkpoints import find_latest_run

    run_dir = find_latest_run(logdir, "demo")
    out = os.path.join(args.output_dir, "generated", "demo.wav")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    status = generate.main(["--checkpoint_path", run_dir, "--output_path", out, "--num_seqs", "2", "--dur", "5",
                            "--temperature", "0.9", "1.0", "--seed", "1"])
    if status == 0:
        print(f"\nDone. Listen to {os.path.dirname(out)}/demo_0.wav and demo_1.wav; "
              f"the training run (checkpoints, TensorBoard logs, per-epoch audio) is in {run_dir}")
    return status


if __name__ == "__main__":
    sys.exit(main())
