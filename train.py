"""Train SampleRNN on a folder of audio chunks. See README.md for every flag."""

import sys

from samplernn.commands.train import main

if __name__ == "__main__":
    sys.exit(main())
