"""Numbers that tell whether audio sounds like something: level, silence, flatness, DC. Pure numpy/librosa."""

import numpy as np

SILENCE_WINDOW_MS = 20  # level is measured per 20 ms window
SILENCE_DB = -50.0  # a window below this RMS level (dBFS) counts as silent, as in shared/corpus stats
_FLOOR_RMS = 1e-10  # keeps log10 finite for digital silence (-200 dBFS)
MOSTLY_SILENT = 0.5  # warn when more than this fraction of windows is silent
CONSTANT_STD = 1e-3  # warn when the signal barely moves: collapsed to a constant
NOISE_FLATNESS = 0.5  # white noise has a spectral flatness near 0.56, tonal music near 0.001


def window_levels_db(audio, sample_rate, window_ms=SILENCE_WINDOW_MS):
    """RMS level in dBFS of each window (a signal shorter than one window is one window)."""
    window = max(1, round(window_ms * sample_rate / 1000))
    count = max(1, len(audio) // window)
    frames = np.asarray(audio[:count * window], dtype=np.float64).reshape(count, -1)  # (N, window)
    rms = np.sqrt(np.mean(np.square(frames), axis=1))  # (N,)
    return 20.0 * np.log10(np.maximum(rms, _FLOOR_RMS))


def silence_fraction(audio, sample_rate, threshold_db=SILENCE_DB):
    """Fraction of SILENCE_WINDOW_MS windows whose level is below `threshold_db`."""
    return float(np.mean(window_levels_db(audio, sample_rate) < threshold_db))


def remove_dc(audio):
    """Subtracts the mean: SampleRNN output can drift off zero, which wastes headroom and clicks at the ends."""
    return audio - np.mean(audio, axis=-1, keepdims=True)


def spectral_flatness(audio):
    """Median spectral flatness over frames: ~0.56 for white noise, ~0.001 for tonal music."""
    import librosa

    return float(np.median(librosa.feature.spectral_flatness(y=np.asarray(audio, np.float32))))


def describe(audio, sample_rate):
    """Level, silence fraction and spectral flatness of one signal."""
    rms = float(np.sqrt(np.mean(np.square(audio))))
    return {"rms_db": 20.0 * np.log10(max(rms, _FLOOR_RMS)), "silence_fraction": silence_fraction(audio, sample_rate),
            "flatness": spectral_flatness(audio), "std": float(np.std(audio))}


def problems(stats):
    """Human-readable warnings for what `describe` found wrong (empty when the audio looks fine)."""
    found = []
    if stats["std"] < CONSTANT_STD:
        found.append("collapsed to a constant")
    elif stats["silence_fraction"] > MOSTLY_SILENT:
        found.append(f"mostly silence ({stats['silence_fraction']:.0%} of 20 ms windows below {SILENCE_DB:g} dBFS); "
                     "a higher sampling temperature (e.g. 1.1) often brings a trained model's level up")
    if stats["flatness"] > NOISE_FLATNESS:
        found.append(f"sounds like white noise (spectral flatness {stats['flatness']:.2f})")
    return found
