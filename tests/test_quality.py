import numpy as np

import pytest

from samplernn.errors import SampleRNNError
from samplernn.quality import (describe, hold_verdict, problems, reference_figures, remove_dc, silence_fraction,
                               stretches)

RATE = 8000


def tone(seconds, amplitude=0.3):
    t = np.arange(int(seconds * RATE)) / RATE
    return amplitude * np.sin(2 * np.pi * 440 * t)


def tone_then_silence(seconds, silent_from):
    audio = tone(seconds)
    audio[int(silent_from * RATE):] = 0.0
    return audio


def tone_then_noise(seconds, noise_from):
    audio = tone(seconds)
    start = int(noise_from * RATE)
    audio[start:] = np.random.default_rng(0).uniform(-0.3, 0.3, len(audio) - start)
    return audio


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


def test_a_steady_tone_gets_no_warning():
    stats = describe(tone(8), RATE)
    assert problems(stats) == []
    assert stats["silent_from"] is None and stats["noise_from"] is None


def test_a_tone_that_goes_silent_partway_is_reported_with_the_second():
    found = problems(describe(tone_then_silence(8, 3.0), RATE))
    assert "fades to silence from 3.0 s" in found, found
    assert not any("noise" in p for p in found), found  # silence's own frames are flat: not noise


def test_a_tone_that_turns_into_noise_partway_is_reported_with_the_second():
    found = problems(describe(tone_then_noise(8, 2.0), RATE))
    assert "turns into noise from 2.0 s" in found, found
    assert not any("silence" in p for p in found), found


def test_low_level_hiss_after_the_fade_counts_as_silence():
    audio = tone_then_silence(8, 4.5)
    audio[int(4.5 * RATE):] = np.random.default_rng(1).normal(0.0, 1e-3, int(3.5 * RATE))  # about -60 dBFS
    found = problems(describe(audio, RATE))
    assert "fades to silence from 4.5 s" in found and not any("noise" in p for p in found), found


def test_a_quiet_last_half_second_is_not_a_collapse():
    assert describe(tone_then_silence(8, 7.5), RATE)["silent_from"] is None


def test_stretches_cover_the_signal_and_keep_a_long_enough_remainder():
    parts = stretches(tone_then_silence(13, 5.0), RATE, seconds=5)
    assert [(p["start"], p["end"]) for p in parts] == [(0.0, 5.0), (5.0, 10.0), (10.0, 13.0)]
    assert parts[0]["rms_db"] > -15 and parts[1]["rms_db"] < -100
    assert [p["end"] for p in stretches(tone(11), RATE, seconds=5)] == [5.0, 10.0]  # 1 s left: dropped


def test_hold_verdict_against_a_corpus_of_tones():
    reference = reference_figures([tone(8), tone(8, 0.1)], RATE)
    assert reference["silence_fraction"] == 0.0 and reference["quiet_stretch_share"] == 0.0
    steady = hold_verdict(tone(30), RATE, reference)
    faded = hold_verdict(tone_then_silence(30, 12.5), RATE, reference)
    noisy = hold_verdict(tone_then_noise(30, 7.0), RATE, reference)
    assert steady["verdict"] == "holds" and steady["holds"] and steady["reasons"] == []
    assert (faded["verdict"], faded["collapsed_at"], faded["ran_away_at"]) == ("collapsed", 12.5, None)
    assert (noisy["verdict"], noisy["ran_away_at"], noisy["collapsed_at"]) == ("ran away", 7.0, None)
    assert len(faded["stretches"]) == len(noisy["stretches"]) == 6


def test_hold_verdict_allows_silence_within_ten_points_of_the_corpus():
    gappy = tone(30)
    for start in range(0, 30, 5):  # 0.4 s of silence in every 5 s: 8 % silent
        gappy[start * RATE:int((start + 0.4) * RATE)] = 0.0
    reference = reference_figures([tone(8)], RATE)
    assert hold_verdict(gappy, RATE, reference)["holds"]
    very_gappy = tone(30)
    for start in range(0, 30, 5):  # 1 s in every 5 s: 20 % silent, more than 10 points above the corpus
        very_gappy[start * RATE:(start + 1) * RATE] = 0.0
    verdict = hold_verdict(very_gappy, RATE, reference)
    assert verdict["verdict"] == "collapsed" and verdict["collapsed_at"] == 0.0, verdict["reasons"]


def test_reference_figures_need_audio():
    with pytest.raises(SampleRNNError, match="no reference audio"):
        reference_figures([], RATE)


def test_the_written_file_report_names_the_second_of_the_collapse(tmp_path):
    from samplernn.export import write_generated

    path = str(tmp_path / "out_0.wav")
    line, stats = write_generated(path, tone_then_silence(6, 3.0), RATE, spectrogram=False)
    assert f"\nwarning: {path}: fades to silence from 3.0 s" in line, line
    assert stats["silent_from"] == 3.0


def test_hold_verdict_dates_a_failure_from_its_first_failing_stretch():
    audio = tone_then_noise(30, 20.0)
    audio[RATE:4 * RATE] = np.random.default_rng(2).uniform(-0.3, 0.3, 3 * RATE)  # a noise burst in 1-4 s
    verdict = hold_verdict(audio, RATE, reference_figures([tone(8)], RATE))
    assert (verdict["verdict"], verdict["ran_away_at"]) == ("ran away", 0.0)  # not 20.0, where it stays noise


def test_broadband_noise_over_a_tone_from_the_start_is_named_with_its_flatness():
    audio = tone(4) + np.random.default_rng(0).uniform(-0.3, 0.3, 4 * RATE)  # flatness ~0.2: not white noise
    stats = describe(audio, RATE)
    assert stats["noise_from"] == 0.0
    assert problems(stats) == [f"noise-like from the start (spectral flatness {stats['flatness']:.2f})"]
    assert problems(describe(tone(4) + np.random.default_rng(0).uniform(-0.05, 0.05, 4 * RATE), RATE)) == []
