"""Streamed generation to files: each piece appended to the streams' partial files as it is made, progress on
the way, and on Ctrl-C or an error everything generated so far finished into valid files.

generate.py and train.py's per-epoch generation both go through `stream_to_files`.
"""

import os
from typing import NamedTuple

import numpy as np

from samplernn.export import PartialFiles, finish_file
from samplernn.generation import piece_lengths
from samplernn.interrupts import deferred_interrupt
from samplernn.progress import Progress


class Streamed(NamedTuple):
    """What `stream_to_files` drew: per stream the partial file, the mean surprise (bits/sample) and mean
    temperature of its samples; the samples per stream written, and what stopped it early (None if nothing)."""
    partials: list
    bits: np.ndarray
    temperature: np.ndarray
    samples: int
    stopped: BaseException = None

    def seconds(self, sample_rate):
        return self.samples / sample_rate


def stream_to_files(sampler, num_samples, paths, sample_rate, log=print):
    """Draws `num_samples` per stream from `sampler` (a `generation.PieceSampler`), piece by piece, appending
    each piece to `<path>.partial.wav` of each stream as it arrives, with progress. Ctrl-C stops it once the
    piece being made is written (a second Ctrl-C at once), an error after the last complete piece (a piece is
    written to every stream or to none): `Streamed.stopped` holds the exception, for the caller to finish the
    files and raise it again."""
    files = PartialFiles(paths, sample_rate)
    progress = Progress(num_samples / sample_rate, log)
    surprise = temperature = np.zeros(len(paths))
    written, stopped = 0, None
    try:
        for n in piece_lengths(num_samples, sampler.piece_samples):
            with deferred_interrupt():  # a Ctrl-C takes effect once the piece being made is written
                piece = sampler.next(n)
                files.append(piece.audio)
                surprise, temperature = surprise + piece.surprise, temperature + piece.temperature
                written += n
            progress.update(written / sample_rate)
    except (KeyboardInterrupt, Exception) as e:  # noqa: B902 (both end the streams where they are)
        stopped = e
    finally:
        files.close()
    count = max(written, 1)
    return Streamed(files.paths, surprise / count, temperature / count, written, stopped)


def finish_files(streamed, chosen, paths, rate, labels, *, dc_removal=True, spectrogram=True, log=print):
    """Finishes the partial files of the `chosen` streams into `paths` (`export.finish_file`), logging each
    report line, and removes the partial files of the others. With nothing written, no file is made."""
    for path, i in zip(paths, chosen if streamed.samples else []):
        line, _ = finish_file(streamed.partials[i], path, rate, dc_removal=dc_removal, spectrogram=spectrogram,
                              label=labels[i])
        log(line)
    for partial in streamed.partials:
        if os.path.exists(partial):
            os.remove(partial)


def describe_stop(streamed, sample_rate):
    """The line that says why and where the streams stopped early."""
    stopped = streamed.stopped
    why = "Interrupted" if isinstance(stopped, KeyboardInterrupt) else f"Stopped by an error ({stopped!r})"
    return (f"{why} at {streamed.seconds(sample_rate):.2f} s: the files hold what was generated until then"
            if streamed.samples else f"{why} before the first piece: no audio was written")
