"""What the scripts share: argparse value types, on/off flags, and the error-to-exit-code wrapper.

Imports nothing heavy, so `--help` and flag errors answer at once.
"""

import argparse
import sys

from samplernn.errors import SampleRNNError


def _number(cast, minimum, inclusive, what):
    def parse(text):
        try:
            value = cast(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if value < minimum or (value == minimum and not inclusive):
            raise argparse.ArgumentTypeError(f"expected {what}, got {text}")
        return value
    return parse


positive_int = _number(int, 1, True, "an integer >= 1")
non_negative_int = _number(int, 0, True, "an integer >= 0")
positive_float = _number(float, 0.0, False, "a number > 0")
non_negative_float = _number(float, 0.0, True, "a number >= 0")

TRUE_FALSE = {"true": True, "false": False}


def true_false(text):
    """`True` or `False`, in any case: the value PRiSM's scripts take for their on/off flags."""
    if text.lower() not in TRUE_FALSE:
        raise argparse.ArgumentTypeError(f"expected True or False, got {text!r}")
    return TRUE_FALSE[text.lower()]


def add_on_off(parser, flag, **kwargs):
    """Adds an on/off flag: `--name` (on), `--no-name` (off), or PRiSM's spelling `--name True|False`."""
    parser.add_argument(flag, nargs="?", const=True, type=true_false, metavar="True|False", **kwargs)
    parser.add_argument(f"--no-{flag[2:]}", dest=flag[2:], action="store_false", help=f"the same as {flag} False")


def run_main(body, args):
    """Runs `body(args)`; a SampleRNNError becomes one `error:` line on stderr and exit status 2,
    Ctrl-C exit status 130 (after whatever saving `body` does on the way out)."""
    try:
        body(args)
    except SampleRNNError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 0
