"""samplernn.chunking and chunk_audio.py: chunk lengths and hops, silence dropping, no overwriting, CLI exits."""

import os

import numpy as np
import pytest
import soundfile as sf

import chunk_audio
from samplernn.chunking import chunk_audio as cut, chunk_files, is_silent
from samplernn.quality import SILENCE_WINDOW_MS
from samplernn.errors import SampleRNNError

RATE = 8000


def tone(seconds, amplitude=0.5, rate=RATE):
    t = np.arange(int(round(seconds * rate))) / rate
    return (amplitude * np.sin(2 * np.pi * 220.0 * t)).astype(np.float32)


def write(path, audio, rate=RATE):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    sf.write(path, audio, rate, subtype="PCM_16")


def test_chunks_have_the_right_count_and_length_and_drop_the_tail():
    chunks = cut(np.arange(2.5 * RATE), RATE, chunk_length_ms=1000, overlap_ms=0)
    assert [len(c) for c in chunks] == [RATE, RATE]  # the last half second is dropped
    assert chunks[1][0] == RATE


def test_overlap_sets_the_hop():
    audio = np.arange(2.5 * RATE)
    chunks = cut(audio, RATE, chunk_length_ms=1000, overlap_ms=500)
    assert len(chunks) == 4  # starts at 0, 0.5, 1.0 and 1.5 s; one more would end after 2.5 s
    for i, c in enumerate(chunks):
        np.testing.assert_array_equal(c, audio[i * RATE // 2: i * RATE // 2 + RATE])


def test_audio_shorter_than_one_chunk_gives_no_chunks():
    assert cut(np.zeros(RATE - 1), RATE, chunk_length_ms=1000, overlap_ms=0) == []


@pytest.mark.parametrize("length, overlap, flag", [(0, 0, "--chunk_length"), (1000, 1000, "--overlap"),
                                                   (1000, 1500, "--overlap"), (1000, -1, "--overlap")])
def test_invalid_lengths_name_the_flag(length, overlap, flag):
    with pytest.raises(SampleRNNError, match=flag):
        cut(np.zeros(RATE), RATE, chunk_length_ms=length, overlap_ms=overlap)


def test_silence_is_judged_by_the_fraction_of_quiet_windows():
    window = SILENCE_WINDOW_MS * RATE // 1000
    loud, quiet = tone(1.0), np.zeros(RATE, dtype=np.float32)
    assert is_silent(quiet, RATE, -60.0)
    assert not is_silent(loud, RATE, -60.0)
    assert not is_silent(tone(1.0, amplitude=1e-3), RATE, -80.0)  # -63 dBFS is above -80
    mostly_quiet = np.concatenate([loud[:20 * window], quiet[:30 * window]])  # 60 % quiet windows
    mostly_loud = np.concatenate([loud[:30 * window], quiet[:20 * window]])  # 40 % quiet windows
    assert is_silent(mostly_quiet, RATE, -60.0)
    assert not is_silent(mostly_loud, RATE, -60.0)


def test_chunk_files_writes_natural_names_and_drops_silence(tmp_path):
    audio = np.concatenate([tone(3.0), np.zeros(RATE, dtype=np.float32), tone(0.5)])  # 3 loud s, 1 silent s
    write(tmp_path / "in" / "song.wav", audio)
    out = tmp_path / "out" / "new"  # created, parents included
    counts = chunk_files([str(tmp_path / "in" / "song.wav")], str(out), sample_rate=RATE, chunk_length_ms=1000,
                         overlap_ms=0, silence_threshold_db=-60.0)
    assert counts == {"files": 1, "chunks": 3, "silent": 1, "short": 0}
    assert sorted(os.listdir(out)) == ["song_0.wav", "song_1.wav", "song_2.wav"]
    chunk, rate = sf.read(out / "song_2.wav")
    assert rate == RATE and len(chunk) == RATE


def test_chunk_files_without_threshold_keeps_silent_chunks(tmp_path):
    write(tmp_path / "quiet.wav", np.zeros(2 * RATE, dtype=np.float32))
    counts = chunk_files([str(tmp_path / "quiet.wav")], str(tmp_path / "out"), sample_rate=RATE,
                         chunk_length_ms=1000, overlap_ms=0, silence_threshold_db=None)
    assert (counts["chunks"], counts["silent"]) == (2, 0)


def test_same_stem_in_two_folders_gets_distinct_names(tmp_path):
    paths = [str(tmp_path / d / "01.wav") for d in ("cd1", "cd2")]
    for p in paths:
        write(p, tone(1.0))
    notices = []
    chunk_files(paths, str(tmp_path / "out"), sample_rate=RATE, chunk_length_ms=1000, overlap_ms=0,
                silence_threshold_db=-60.0, notice=notices.append)
    assert sorted(os.listdir(tmp_path / "out")) == ["01-2_0.wav", "01_0.wav"]
    assert len(notices) == 1 and paths[1] in notices[0]


def test_existing_chunks_are_never_overwritten(tmp_path):
    write(tmp_path / "song.wav", tone(2.0))
    kwargs = dict(sample_rate=RATE, chunk_length_ms=1000, overlap_ms=0, silence_threshold_db=-60.0)
    out = tmp_path / "out"
    chunk_files([str(tmp_path / "song.wav")], str(out), **kwargs)
    before = {name: (out / name).read_bytes() for name in os.listdir(out)}
    write(tmp_path / "song.wav", tone(3.0, amplitude=0.9))
    with pytest.raises(SampleRNNError, match="already holds chunks of 'song'"):
        chunk_files([str(tmp_path / "song.wav")], str(out), **kwargs)
    assert {name: (out / name).read_bytes() for name in os.listdir(out)} == before


def test_main_end_to_end(tmp_path, capsys):
    write(tmp_path / "album" / "a.wav", tone(2.0))
    write(tmp_path / "album" / "b.flac", np.stack([tone(1.5, rate=16000)] * 2, axis=1), rate=16000)
    write(tmp_path / "album" / "c.wav", np.zeros(RATE, dtype=np.float32))
    out = tmp_path / "chunks"
    assert chunk_audio.main(["--input_dir", str(tmp_path / "album"), "--output_dir", str(out),
                             "--chunk_length", "500", "--overlap", "0", "--sample_rate", str(RATE)]) == 0
    names = sorted(os.listdir(out))
    assert names == [f"a_{n}.wav" for n in range(4)] + [f"b_{n}.wav" for n in range(3)]
    assert all(sf.info(out / n).samplerate == RATE and sf.info(out / n).frames == RATE // 2 for n in names)
    stdout = capsys.readouterr().out
    assert "resampling" in stdout
    assert f"wrote 7 chunks of 500 ms to {out} (2 silent chunks dropped) from 3 files" in stdout


@pytest.mark.parametrize("args, message", [
    (["--input_file", "missing.wav"], "--input_file 'missing.wav' does not exist"),
    (["--input_dir", "empty"], "--input_dir 'empty' contains no audio files"),
    (["--input_dir", "nowhere"], "--input_dir 'nowhere' does not exist"),
    (["--input_file", "in.wav", "--chunk_length", "500", "--overlap", "500"], "--overlap must be"),
], ids=["missing_file", "no_audio", "missing_dir", "overlap_too_long"])
def test_main_reports_user_errors_with_exit_status_2(tmp_path, monkeypatch, capsys, args, message):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "in.wav", tone(1.0))
    os.mkdir(tmp_path / "empty")
    assert chunk_audio.main([*args, "--output_dir", "out"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err


@pytest.mark.parametrize("flag, value", [("--chunk_length", "0"), ("--overlap", "-5"), ("--sample_rate", "x"),
                                         ("--silence_threshold", "3")])
def test_main_rejects_bad_flag_values(flag, value, capsys):
    with pytest.raises(SystemExit) as exit_info:
        chunk_audio.main(["--input_file", "in.wav", "--output_dir", "out", flag, value])
    assert exit_info.value.code == 2
    assert flag in capsys.readouterr().err
