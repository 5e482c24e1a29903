"""Tiny configs and audio shared by the tests."""

import numpy as np
import soundfile as sf

from samplernn.config import SampleRNNConfig


def tiny_config(**changes):
    """A 3-tier model small enough to train in seconds on a CPU."""
    base = dict(seq_len=64, frame_sizes=(4, 16), dim=16, num_rnn_layers=2, q_levels=16, emb_size=8,
                sample_rate=8000)
    return SampleRNNConfig(**{**base, **changes})


def write_tone(path, seconds, sample_rate=8000, freq=220.0, channels=1):
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    audio = 0.5 * np.sin(2 * np.pi * freq * t) * (1 + 0.3 * np.sin(2 * np.pi * 3 * t))
    data = np.stack([audio] * channels, axis=1) if channels > 1 else audio
    sf.write(path, data, sample_rate, subtype="PCM_16")
    return audio
