"""Cut long recordings into mono training chunks at one sample rate. See README.md for every flag."""

import sys

from samplernn.commands.chunk_audio import main

if __name__ == "__main__":
    sys.exit(main())
