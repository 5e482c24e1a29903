"""What the three scripts share: argparse value types and the error-to-exit-code wrapper.

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
