"""samplernn.audio: finding, decoding (mono, resampled, error cases) and atomic writing of wav, flac and ogg."""

import os

import numpy as np
import pytest
import soundfile as sf

from samplernn import audio
from samplernn.audio import find_audio_files, load_audio, write_audio
from samplernn.errors import SampleRNNError

RATE = 16000


def tone(seconds=0.5, rate=RATE, freq=440.0, amplitude=0.5):
    t = np.arange(int(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def test_write_then_load_round_trips_to_16_bit_precision(tmp_path):
    x = tone()
    write_audio(tmp_path / "x.wav", x, RATE)
    info = sf.info(tmp_path / "x.wav")
    assert (info.subtype, info.samplerate, info.channels) == ("PCM_16", RATE, 1)
    y = load_audio(tmp_path / "x.wav", RATE, notice=pytest.fail)  # same rate: no notice
    assert y.dtype == np.float32 and y.shape == x.shape
    np.testing.assert_allclose(y, x, atol=1 / 32768)


def test_write_audio_clips_and_leaves_only_the_target_file(tmp_path):
    write_audio(tmp_path / "loud.wav", np.array([2.0, -3.0, 0.25]), RATE)
    assert os.listdir(tmp_path) == ["loud.wav"]  # no temporary file left behind
    np.testing.assert_allclose(load_audio(tmp_path / "loud.wav", RATE), [32767 / 32768, -1.0, 0.25])


def test_write_audio_replaces_an_existing_file(tmp_path):
    write_audio(tmp_path / "x.wav", np.zeros(10), RATE)
    write_audio(tmp_path / "x.wav", np.full(4, 0.5), RATE)
    assert len(load_audio(tmp_path / "x.wav", RATE)) == 4


def test_write_audio_to_a_missing_folder_names_the_path(tmp_path):
    target = tmp_path / "no_such_dir" / "x.wav"
    with pytest.raises(SampleRNNError, match="cannot write audio file .*no_such_dir"):
        write_audio(target, tone(), RATE)


@pytest.mark.parametrize("name, file_format", [("x.wav", "WAV"), ("x.flac", "FLAC"), ("X.FLAC", "FLAC"),
                                               ("x.ogg", "OGG")])
def test_write_audio_writes_the_format_its_extension_names(tmp_path, name, file_format):
    write_audio(tmp_path / name, tone(), RATE)
    assert sf.info(tmp_path / name).format == file_format
    tolerance = 0.05 if file_format == "OGG" else 1 / 32768  # Vorbis is lossy
    np.testing.assert_allclose(load_audio(tmp_path / name, RATE)[:len(tone())], tone(), atol=tolerance)


@pytest.mark.parametrize("name", ["x.mp3", "x.aiff", "x"])
def test_write_audio_refuses_other_extensions(tmp_path, name):
    with pytest.raises(SampleRNNError, match=f"cannot write audio file .*{name}.*.wav, .flac, .ogg"):
        write_audio(tmp_path / name, tone(), RATE)
    assert os.listdir(tmp_path) == []


def test_stereo_is_averaged_to_mono(tmp_path):
    left = tone()
    sf.write(tmp_path / "s.wav", np.stack([left, np.zeros_like(left)], axis=1), RATE, subtype="FLOAT")
    notices = []
    y = load_audio(tmp_path / "s.wav", RATE, notice=notices.append)
    assert y.ndim == 1 and notices == [f"note: mixing the 2 channels of '{tmp_path / 's.wav'}' down to mono"]
    np.testing.assert_allclose(y, left / 2, atol=1e-6)


def test_other_rate_is_resampled_with_one_notice(tmp_path):
    path = tmp_path / "cd.wav"
    sf.write(path, tone(1.0, rate=44100), 44100, subtype="PCM_16")
    notices = []
    y = load_audio(path, RATE, notice=notices.append)
    assert len(y) == RATE
    assert notices == [f"note: resampling '{path}' from 44100 Hz to {RATE} Hz"]
    assert np.sqrt(np.mean(y ** 2)) == pytest.approx(0.5 / np.sqrt(2), rel=0.02)  # the tone survives


@pytest.mark.parametrize("extension", [".flac", ".ogg", ".mp3"])
def test_compressed_formats_decode(tmp_path, extension):
    x = tone()
    path = tmp_path / f"x{extension}"
    sf.write(path, x, RATE)
    y = load_audio(path, RATE)
    assert abs(len(y) - len(x)) <= 0.05 * len(x)  # lossy codecs may pad a little
    assert np.sqrt(np.mean(y ** 2)) == pytest.approx(np.sqrt(np.mean(x ** 2)), rel=0.1)


def test_pydub_fallback_decodes_like_soundfile(tmp_path, monkeypatch):
    x = tone()
    sf.write(tmp_path / "x.wav", np.stack([x, x], axis=1), RATE, subtype="PCM_16")
    monkeypatch.setattr(audio, "_soundfile_reads", lambda extension: False)  # as if libsndfile lacked wav
    np.testing.assert_allclose(load_audio(tmp_path / "x.wav", RATE), x, atol=1 / 32768)


def _write_missing(path):
    assert not path.exists()


def _write_empty(path):
    path.write_bytes(b"")


def _write_text(path):
    path.write_text("this is not audio\n" * 10)


def _write_no_samples(path):
    sf.write(path, np.zeros(0, dtype=np.float32), RATE, subtype="PCM_16")


@pytest.mark.parametrize("make, cause", [(_write_missing, "no such file"), (_write_empty, "file is empty"),
                                         (_write_text, "not audio or corrupt"), (_write_no_samples, "no samples")],
                         ids=["missing", "empty", "text", "no_samples"])
def test_unreadable_files_name_the_file_and_the_cause(tmp_path, make, cause):
    path = tmp_path / "bad_input.wav"
    make(path)
    with pytest.raises(SampleRNNError, match=cause) as info:
        load_audio(path, RATE)
    assert str(path) in str(info.value)


def test_find_audio_files_is_recursive_natural_and_case_insensitive(tmp_path):
    for name in ["t10.wav", "t2.FLAC", "sub/t1.ogg", "notes.txt", ".hidden.wav", "t3.mp3"]:
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    found = [os.path.relpath(p, tmp_path) for p in find_audio_files(tmp_path)]
    assert found == [os.path.join("sub", "t1.ogg"), "t2.FLAC", "t3.mp3", "t10.wav"]


def test_find_audio_files_empty_and_missing_folders(tmp_path):
    assert find_audio_files(tmp_path) == []
    with pytest.raises(SampleRNNError, match="nowhere"):
        find_audio_files(tmp_path / "nowhere")
