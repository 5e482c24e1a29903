"""Cut long recordings into mono training chunks at one sample rate. See README.md for every flag."""

import argparse
import math
import os
import sys

from samplernn.cli import non_negative_int, positive_int, run_main
from samplernn.errors import SampleRNNError


def decibels(text):
    """argparse type: a dBFS level <= 0, or -inf."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a level in dBFS, got {text!r}") from None
    if math.isnan(value) or value > 0:
        raise argparse.ArgumentTypeError(f"expected a level in dBFS <= 0, got {text}")
    return value


def build_parser():
    p = argparse.ArgumentParser(description="Cut long recordings into mono training chunks at one sample rate.")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--input_file", help="one audio file to cut (wav, flac, ogg, mp3)")
    source.add_argument("--input_dir", help="a folder of audio files to cut, subfolders included")
    p.add_argument("--output_dir", required=True, help="where the chunks go, as <input stem>_<n>.wav")
    p.add_argument("--chunk_length", type=positive_int, default=8000,
                   help="chunk length in milliseconds (default %(default)s)")
    p.add_argument("--overlap", type=non_negative_int, default=0,
                   help="overlap of consecutive chunks in milliseconds, below the chunk length (default %(default)s)")
    p.add_argument("--sample_rate", type=positive_int, default=16000,
                   help="sample rate of the chunks in Hz; input is resampled (default %(default)s)")
    p.add_argument("--silence_threshold", type=decibels, default=-60.0,
                   help="dBFS; chunks mostly below it are dropped, --silence_threshold=-inf keeps all "
                        "(default %(default)s)")
    return p


def input_paths(args):
    """The files to cut, from --input_file or --input_dir."""
    from samplernn.audio import AUDIO_EXTENSIONS, find_audio_files

    if args.input_file is not None:
        if not os.path.isfile(args.input_file):
            raise SampleRNNError(f"--input_file '{args.input_file}' does not exist or is not a file")
        return [args.input_file]
    if not os.path.isdir(args.input_dir):
        raise SampleRNNError(f"--input_dir '{args.input_dir}' does not exist or is not a folder")
    paths = find_audio_files(args.input_dir)
    if not paths:
        raise SampleRNNError(f"--input_dir '{args.input_dir}' contains no audio files "
                             f"({', '.join(AUDIO_EXTENSIONS)})")
    return paths


def chunk(args):
    """Cuts the input files into --output_dir and prints a one-line summary."""
    from samplernn.chunking import chunk_files

    counts = chunk_files(input_paths(args), args.output_dir, sample_rate=args.sample_rate,
                         chunk_length_ms=args.chunk_length, overlap_ms=args.overlap,
                         silence_threshold_db=args.silence_threshold)
    print(f"wrote {counts['chunks']} chunks of {args.chunk_length} ms to {args.output_dir} "
          f"({counts['silent']} silent chunks dropped) from {counts['files']} file{'s' * (counts['files'] != 1)}")
    if counts["chunks"] == 0:
        raise SampleRNNError("no chunks were written: every input is shorter than --chunk_length "
                             "or quieter than --silence_threshold")


def main(argv=None):
    return run_main(chunk, build_parser().parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
