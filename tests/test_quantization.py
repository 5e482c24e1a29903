import numpy as np
import pytest

from samplernn.quantization import dequantize, quantize, zero_level

LAWS = ["mu-law", "a-law", "linear"]


@pytest.mark.parametrize("q_type", LAWS)
@pytest.mark.parametrize("q_levels", [2, 16, 256, 65536])
def test_levels_cover_the_range_and_round_trip(q_type, q_levels):
    x = np.linspace(-1, 1, 20001)
    q = quantize(x, q_type, q_levels)
    assert q.dtype == np.int32 and q.min() == 0 and q.max() == q_levels - 1
    assert np.all(np.diff(q) >= 0), "quantization must be monotonic"
    # Decoding then encoding a level gives the same level back.
    levels = np.arange(q_levels)
    np.testing.assert_array_equal(quantize(dequantize(levels, q_type, q_levels), q_type, q_levels), levels)


@pytest.mark.parametrize("q_type", LAWS)
def test_reconstruction_error_is_within_one_bin(q_type):
    x = np.random.default_rng(0).uniform(-1, 1, 10000)
    err = np.abs(dequantize(quantize(x, q_type, 256), q_type, 256) - x)
    assert err.max() < {"linear": 1 / 256 + 1e-6, "mu-law": 0.032, "a-law": 0.032}[q_type]
    # Companding laws are finer near zero than the linear law.
    small = np.abs(x) < 0.01
    if q_type != "linear":
        assert err[small].max() < 1e-3


@pytest.mark.parametrize("q_type", LAWS)
def test_levels_are_symmetric_and_silence_is_near_zero(q_type):
    levels = np.arange(256)
    decoded = dequantize(levels, q_type, 256)
    np.testing.assert_allclose(decoded, -decoded[::-1], atol=1e-6)
    assert abs(dequantize(zero_level(q_type, 256), q_type, 256)) < 0.01


def test_out_of_range_audio_is_clipped():
    assert list(quantize(np.array([-3.0, 3.0]), "mu-law", 256)) == [0, 255]
