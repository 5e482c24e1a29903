"""Evaluate a SampleRNN checkpoint on a folder of audio: NLL in bits per sample and accuracy, per file and mean."""

import sys

from samplernn.commands.evaluate import main

if __name__ == "__main__":
    sys.exit(main())
