"""Generate audio from a trained SampleRNN checkpoint. See README.md for every flag."""

import argparse
import sys

from samplernn.cli import non_negative_int, positive_float, positive_int, run_main
from samplernn.options import DRAW, DRAWS, SAMPLING, TEMPERATURE

SEED_DUR = 5.0  # seconds of --seed_audio that prime generation by default


def build_parser():
    p = argparse.ArgumentParser(description="Generate audio from a trained SampleRNN checkpoint.")
    p.add_argument("--output_path", required=True,
                   help="output path (.wav, .flac or .ogg); sequence i is written to <stem>_<i>.<ext>, the settings "
                        "(seed included) to <stem>.json; missing folders are created")
    p.add_argument("--checkpoint_path", required=True, help="a run dir (its latest checkpoint) or a checkpoint dir")
    p.add_argument("--config_file", help="optional: must equal the run's config.json (which is always used)")
    p.add_argument("--num_seqs", type=positive_int, default=1, help="number of sequences generated in one batch")
    p.add_argument("--dur", type=positive_float, default=3.0, help="seconds of audio per sequence")
    p.add_argument("--temperature", type=positive_float, nargs="+", default=[TEMPERATURE],
                   help="sampling temperature: one value for all sequences, or one per sequence")
    p.add_argument("--sampling", choices=SAMPLING, default="adaptive",
                   help="adaptive: steer each sequence's temperature, sample by sample, so that it stays as "
                        "surprising to the model as real audio (--target_bits times --temperature); plain: the fixed "
                        "--temperature")
    p.add_argument("--target_bits", type=positive_float,
                   help="adaptive sampling: the surprise (bits/sample) held at --temperature 1 (default: the "
                        "checkpoint's validation bits/sample; never validated: its recent training loss)")
    p.add_argument("--draw", choices=DRAWS, default=DRAW,
                   help="how each sample is drawn from the model's distribution: inverse (one random number per "
                        "sample: faster on a CPU) or gumbel (Gumbel-max, one per level); the same distribution, "
                        "other audio for a given --seed")
    p.add_argument("--seed", type=non_negative_int,
                   help="RNG seed: the same seed gives identical audio (default: drawn, printed and saved)")
    p.add_argument("--seed_audio", help="audio file that primes every sequence (at least one top frame long)")
    p.add_argument("--seed_offset", type=non_negative_int, default=0,
                   help="start of the priming audio within --seed_audio, in samples at the model's rate")
    p.add_argument("--seed_dur", type=positive_float, default=SEED_DUR,
                   help="seconds of --seed_audio, from --seed_offset, that prime generation")
    p.add_argument("--sample_rate", type=positive_int, help="sample rate of the written files (default: the model's)")
    p.add_argument("--candidates", type=positive_int,
                   help="generate this many sequences and keep the --num_seqs most likely under the model")
    p.add_argument("--dc_removal", action=argparse.BooleanOptionalAction, default=True,
                   help="subtract each sequence's mean (DC offset) before writing")
    p.add_argument("--spectrogram", action=argparse.BooleanOptionalAction, default=True,
                   help="write a spectrogram PNG beside each audio file")
    return p


def main(argv=None):
    args = build_parser().parse_args(argv)
    from samplernn.generate_files import generate_files  # after parsing: --help and flag errors answer at once

    return run_main(generate_files, args)


if __name__ == "__main__":
    sys.exit(main())
