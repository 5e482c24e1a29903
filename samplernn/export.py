"""Writing generated audio: DC removal, the wav, its spectrogram PNG, and a one-line report with warnings."""

import os

from samplernn.audio import write_audio
from samplernn.quality import describe, problems, remove_dc


def write_generated(path, audio, sample_rate, *, dc_removal=True, spectrogram=True, label=""):
    """Writes one generated sequence; returns (report line, stats dict). The PNG goes beside the wav."""
    if dc_removal:
        audio = remove_dc(audio)
    write_audio(path, audio, sample_rate)
    if spectrogram:
        from samplernn.plots import save_spectrogram

        save_spectrogram(os.path.splitext(path)[0] + ".png", audio, sample_rate, title=os.path.basename(path))
    stats = describe(audio, sample_rate)
    line = (f"Wrote {path}{label}: RMS {stats['rms_db']:.1f} dBFS, silence {stats['silence_fraction']:.0%}, "
            f"spectral flatness {stats['flatness']:.3f}")
    for problem in problems(stats):
        line += f"\nwarning: {path}: {problem}"
    return line, stats
