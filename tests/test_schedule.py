"""The learning-rate schedule of --lr_schedule / --warmup_steps."""

import math

import pytest

from samplernn.schedule import learning_rate_at


def test_constant_without_warmup_is_the_peak_throughout():
    assert [learning_rate_at(0.01, "constant", 0, s, s / 10) for s in range(10)] == [0.01] * 10


def test_warmup_rises_linearly_then_holds():
    rates = [learning_rate_at(0.01, "constant", 4, s, 0.0) for s in range(6)]
    assert rates == pytest.approx([0.0025, 0.005, 0.0075, 0.01, 0.01, 0.01])


def test_cosine_starts_at_the_peak_halves_midway_and_ends_at_zero():
    assert learning_rate_at(0.01, "cosine", 0, 0, 0.0) == pytest.approx(0.01)
    assert learning_rate_at(0.01, "cosine", 0, 50, 0.5) == pytest.approx(0.005)
    assert learning_rate_at(0.01, "cosine", 0, 100, 1.0) == pytest.approx(0.0, abs=1e-12)
    assert learning_rate_at(0.01, "cosine", 0, 120, 1.2) == pytest.approx(0.0, abs=1e-12), "stays at 0 after the end"


def test_cosine_with_warmup_multiplies_the_two():
    expected = 0.01 * 0.5 * 0.5 * (1 + math.cos(math.pi / 4))  # 5 of 10 warm-up steps, a quarter of the way
    assert learning_rate_at(0.01, "cosine", 10, 4, 0.25) == pytest.approx(expected)


def test_unknown_schedule_is_refused():
    with pytest.raises(ValueError, match="linear"):
        learning_rate_at(0.01, "linear", 0, 0, 0.0)
