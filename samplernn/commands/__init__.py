"""The command-line tools: train, generate, chunk_audio, evaluate. Each module's `main(argv=None)` parses its flags
and calls the library; the top-level scripts and the installed samplernn-* commands run these."""
