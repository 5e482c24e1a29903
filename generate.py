"""Generate audio from a trained SampleRNN checkpoint. See README.md for every flag."""

import sys

from samplernn.commands.generate import main

if __name__ == "__main__":
    sys.exit(main())
