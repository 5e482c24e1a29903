import numpy as np

from samplernn.quality import describe, problems, remove_dc, silence_fraction

RATE = 8000


def test_silence_fraction_counts_quiet_windows():
    audio = np.concatenate([0.5 * np.sin(np.arange(RATE) / 5.0), np.zeros(RATE)])
    assert abs(silence_fraction(audio, RATE) - 0.5) < 0.02


def test_problems_name_silence_constants_and_noise():
    t = np.arange(RATE * 2) / RATE
    tone = 0.5 * np.sin(2 * np.pi * 440 * t)
    noise = np.random.default_rng(0).uniform(-0.5, 0.5, RATE * 2)
    quiet = np.concatenate([tone[:RATE // 20], np.zeros(RATE * 2)])
    assert problems(describe(tone, RATE)) == []
    assert any("white noise" in p for p in problems(describe(noise, RATE)))
    assert any("mostly silence" in p for p in problems(describe(quiet, RATE)))
    assert problems(describe(np.full(RATE, 0.3), RATE)) == ["collapsed to a constant"]


def test_silence_warning_starts_above_half_and_suggests_a_temperature():
    t = np.arange(RATE * 10) / RATE
    tone = 0.5 * np.sin(2 * np.pi * 440 * t)
    for silent_seconds, warned in ((4, False), (6, True)):
        audio = np.concatenate([tone[:RATE * (10 - silent_seconds)], np.zeros(RATE * silent_seconds)])
        found = problems(describe(audio, RATE))
        assert any("mostly silence" in p and "temperature" in p for p in found) == warned, (silent_seconds, found)


def test_remove_dc_centres_each_row():
    audio = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 3.0]])
    np.testing.assert_allclose(remove_dc(audio).mean(axis=1), 0.0, atol=1e-12)
