"""Quantization of audio in [-1, 1] to integer levels and back: mu-law, a-law and linear. Pure numpy.

All three laws map the amplitude to a companded value y in [-1, 1], cut [-1, 1] into `q_levels` bins
of equal width and decode a level to the centre of its bin. The laws are odd functions, so the levels
are symmetric about zero.
"""

import numpy as np

A_LAW_A = 87.6  # the A of ITU-T G.711


def _mu(q_levels: int) -> float:
    return float(q_levels - 1)  # mu = 255 for 8-bit audio, as in G.711 and the SampleRNN reference


def _compress(x: np.ndarray, q_type: str, q_levels: int) -> np.ndarray:
    if q_type == "linear":
        return x
    if q_type == "mu-law":
        mu = _mu(q_levels)
        return np.sign(x) * np.log1p(mu * np.abs(x)) / np.log1p(mu)
    if q_type == "a-law":
        ax = A_LAW_A * np.abs(x)
        small = ax < 1.0
        y = np.where(small, ax, 1.0 + np.log(np.maximum(ax, 1.0))) / (1.0 + np.log(A_LAW_A))
        return np.sign(x) * y
    raise ValueError(f"unknown q_type {q_type!r}")


def _expand(y: np.ndarray, q_type: str, q_levels: int) -> np.ndarray:
    if q_type == "linear":
        return y
    if q_type == "mu-law":
        mu = _mu(q_levels)
        return np.sign(y) * np.expm1(np.abs(y) * np.log1p(mu)) / mu
    if q_type == "a-law":
        ay = np.abs(y) * (1.0 + np.log(A_LAW_A))
        x = np.where(ay < 1.0, ay, np.exp(ay - 1.0)) / A_LAW_A
        return np.sign(y) * x
    raise ValueError(f"unknown q_type {q_type!r}")


def quantize(audio: np.ndarray, q_type: str, q_levels: int) -> np.ndarray:
    """Float audio in [-1, 1] (clipped) -> int32 levels in [0, q_levels)."""
    x = np.clip(np.asarray(audio, dtype=np.float64), -1.0, 1.0)
    y = _compress(x, q_type, q_levels)
    q = np.floor((y + 1.0) / 2.0 * q_levels)
    return np.clip(q, 0, q_levels - 1).astype(np.int32)


def dequantize(levels: np.ndarray, q_type: str, q_levels: int) -> np.ndarray:
    """int levels in [0, q_levels) -> float32 audio in [-1, 1] (the centre of each level's bin)."""
    y = (np.asarray(levels, dtype=np.float64) + 0.5) / q_levels * 2.0 - 1.0
    return _expand(y, q_type, q_levels).astype(np.float32)


def zero_level(q_type: str, q_levels: int) -> int:
    """The level that silence quantizes to: used to pad sequences and to start generation."""
    return int(quantize(np.zeros(1), q_type, q_levels)[0])
