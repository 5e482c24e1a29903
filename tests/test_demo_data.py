"""The synthesized demo dataset: layout, determinism, level and that it is tonal, not noise."""

import os

import numpy as np
import pytest
import soundfile as sf

from samplernn.demo_data import make_demo_dataset

SAMPLE_RATE = 16000
CHUNK_SECONDS = 4.0
MINUTES = 0.5
SILENCE_WINDOW = 320  # 20 ms at 16 kHz
SILENCE_DB = -50.0
TONAL_CUTOFF_HZ = 4000.0
FLATNESS_FRAME = 1024


def _read_all(paths):
    return np.concatenate([sf.read(p, dtype="float64")[0] for p in paths])


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("demo") / "data")  # does not exist yet: make_demo_dataset creates it
    return make_demo_dataset(out, minutes=MINUTES, sample_rate=SAMPLE_RATE, chunk_seconds=CHUNK_SECONDS, seed=0)


def test_files_and_durations(dataset):
    assert len(dataset) == 8  # ceil(30 s / 4 s)
    assert [os.path.basename(p) for p in dataset] == [f"demo_{n}.wav" for n in range(8)]
    for path in dataset:
        info = sf.info(path)
        assert (info.samplerate, info.channels, info.subtype) == (SAMPLE_RATE, 1, "PCM_16")
        assert info.frames == int(CHUNK_SECONDS * SAMPLE_RATE)


def test_same_seed_same_audio_other_seed_other_audio(dataset, tmp_path):
    kwargs = dict(minutes=MINUTES, sample_rate=SAMPLE_RATE, chunk_seconds=CHUNK_SECONDS)
    again = make_demo_dataset(str(tmp_path / "again"), seed=0, **kwargs)
    other = make_demo_dataset(str(tmp_path / "other"), seed=1, **kwargs)
    np.testing.assert_array_equal(_read_all(again), _read_all(dataset))
    assert not np.array_equal(_read_all(other), _read_all(dataset))


def test_level_and_little_silence(dataset):
    audio = _read_all(dataset)
    assert 0.3 < np.max(np.abs(audio)) <= 1.0
    assert all(np.max(np.abs(sf.read(p)[0])) > 0.1 for p in dataset)  # no near-silent chunk
    windows = audio[: len(audio) // SILENCE_WINDOW * SILENCE_WINDOW].reshape(-1, SILENCE_WINDOW)
    rms_db = 10 * np.log10(np.mean(windows**2, axis=1) + 1e-20)
    assert np.mean(rms_db < SILENCE_DB) < 0.1


def test_energy_is_tonal_and_below_4khz(dataset):
    audio = _read_all(dataset)
    power = np.abs(np.fft.rfft(audio)) ** 2
    freqs = np.fft.rfftfreq(len(audio), 1.0 / SAMPLE_RATE)
    assert power[freqs < TONAL_CUTOFF_HZ].sum() > 0.9 * power.sum()
    # spectral flatness (geometric / arithmetic mean of the power spectrum) is ~1 for white noise
    frames = audio[: len(audio) // FLATNESS_FRAME * FLATNESS_FRAME].reshape(-1, FLATNESS_FRAME)
    frames = frames * np.hanning(FLATNESS_FRAME)  # (frames, FLATNESS_FRAME)
    frame_power = np.abs(np.fft.rfft(frames, axis=1)) ** 2 + 1e-20
    flatness = np.exp(np.mean(np.log(frame_power), axis=1)) / np.mean(frame_power, axis=1)
    assert np.median(flatness) < 0.05
