"""The decoded-audio cache: decode once, a changed file or config decoded again, no interrupted write trusted."""

import errno
import os

import numpy as np
import pytest

from helpers import tiny_config, write_tone
from samplernn import cache
from samplernn.audio import load_audio
from samplernn.errors import SampleRNNError
from samplernn.quantization import quantize


@pytest.fixture
def decodes(monkeypatch):
    """The paths the cache decodes, in order."""
    seen = []

    def counting(path, *args, **kwargs):
        seen.append(path)
        return load_audio(path, *args, **kwargs)

    monkeypatch.setattr(cache, "load_audio", counting)
    return seen


def tones(folder, n=3, seconds=0.05):
    folder.mkdir(exist_ok=True)
    paths = []
    for i in range(n):
        write_tone(folder / f"t{i}.wav", seconds, freq=200 + 50 * i)
        paths.append(str(folder / f"t{i}.wav"))
    return paths


def expected(path, config):
    return quantize(load_audio(path, config.sample_rate), config.q_type, config.q_levels)


def entries(root):
    return sorted(os.listdir(os.path.join(root, "levels")))


def test_files_are_decoded_once_and_read_as_memory_maps(tmp_path, decodes):
    config, paths = tiny_config(), tones(tmp_path / "data")
    first = cache.LevelCache(tmp_path / "cache", config).load(paths)
    assert len(decodes) == 3
    second = cache.LevelCache(tmp_path / "cache", config).load(paths)
    assert len(decodes) == 3, "the second load decoded again"
    assert list(second.lengths) == list(first.lengths) == [400] * 3
    for i, path in enumerate(paths):
        assert isinstance(second[i], np.memmap) and second[i].dtype == np.uint8
        np.testing.assert_array_equal(second[i], expected(path, config))


def test_lengths_come_from_the_index_without_opening_an_entry(tmp_path, monkeypatch):
    config, paths = tiny_config(), tones(tmp_path / "data")
    cache.LevelCache(tmp_path / "cache", config).load(paths)

    def no_load(*args, **kwargs):
        raise AssertionError("an entry was opened")

    monkeypatch.setattr(np, "load", no_load)
    levels = cache.LevelCache(tmp_path / "cache", config).load(paths)
    assert list(levels.lengths) == [400] * 3


def test_a_changed_file_is_decoded_again(tmp_path, decodes):
    config, paths = tiny_config(), tones(tmp_path / "data")
    cache.LevelCache(tmp_path / "cache", config).load(paths)
    st = os.stat(paths[1])
    write_tone(paths[1], 0.05, freq=900.0)  # same size: only the content and the modification time differ
    os.utime(paths[1], ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert os.path.getsize(paths[1]) == st.st_size
    decodes.clear()
    levels = cache.LevelCache(tmp_path / "cache", config).load(paths)
    assert decodes == [os.path.abspath(paths[1])]
    np.testing.assert_array_equal(levels[1], expected(paths[1], config))


def test_another_quantization_is_decoded_again_and_wide_levels_are_uint16(tmp_path, decodes):
    paths = tones(tmp_path / "data")
    cache.LevelCache(tmp_path / "cache", tiny_config()).load(paths)
    config = tiny_config(q_levels=1024)
    levels = cache.LevelCache(tmp_path / "cache", config).load(paths)
    assert len(decodes) == 6 and levels[0].dtype == np.uint16
    np.testing.assert_array_equal(levels[0], expected(paths[0], config))


def test_an_interrupted_write_leaves_no_entry_and_is_decoded_again(tmp_path, monkeypatch, decodes):
    config, paths = tiny_config(), tones(tmp_path / "data")
    real_save = np.save

    def disk_full_midway(f, levels, **kwargs):
        real_save(f, levels[:100], **kwargs)  # part of the entry reaches the disk, then the disk is full
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(np, "save", disk_full_midway)
    with pytest.raises(SampleRNNError, match="cannot write the audio cache.*No space left.*--cache_dir"):
        cache.LevelCache(tmp_path / "cache", config).load(paths)
    assert entries(tmp_path / "cache") == [], "a partial entry or its temporary file was left"
    monkeypatch.setattr(np, "save", real_save)
    decodes.clear()
    levels = cache.LevelCache(tmp_path / "cache", config).load(paths)
    assert len(decodes) == 3
    np.testing.assert_array_equal(levels[0], expected(paths[0], config))


def test_a_killed_writers_temporary_file_and_a_damaged_entry_are_not_trusted(tmp_path, decodes):
    config, paths = tiny_config(), tones(tmp_path / "data")
    cache.LevelCache(tmp_path / "cache", config).load(paths)
    names = entries(tmp_path / "cache")
    damaged = os.path.join(tmp_path / "cache", "levels", names[0])
    with open(damaged, "r+b") as f:  # cut short after the header, as a write lost in a crash might leave it
        f.truncate(140)
    os.remove(os.path.join(tmp_path / "cache", "levels", names[1]))
    with open(os.path.join(tmp_path / "cache", "levels", f"{names[1]}.123-abcd.tmp"), "wb") as f:
        f.write(b"\x93NUMPY half of an entry")  # what a writer killed before its rename leaves
    decodes.clear()
    notes = []
    levels = cache.LevelCache(tmp_path / "cache", config, notice=notes.append).load(paths)
    assert len(decodes) == 2
    for i, path in enumerate(paths):
        np.testing.assert_array_equal(levels[i], expected(path, config))


def test_an_entry_damaged_after_the_start_is_decoded_again_when_read(tmp_path, decodes):
    config, paths = tiny_config(), tones(tmp_path / "data")
    levels = cache.LevelCache(tmp_path / "cache", config).load(paths)
    for name in entries(tmp_path / "cache"):
        with open(os.path.join(tmp_path / "cache", "levels", name), "r+b") as f:
            f.write(b"garbage!")  # the .npy header
    notes = []
    levels.cache.notice = notes.append
    np.testing.assert_array_equal(levels[2], expected(paths[2], config))
    assert any("damaged" in n for n in notes)


def test_an_unwritable_cache_folder_names_the_flag(tmp_path):
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(SampleRNNError, match="cannot create the audio cache folder.*--cache_dir"):
        cache.LevelCache(tmp_path / "file" / "cache", tiny_config())


def test_default_folder_follows_xdg_cache_home(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache.default_cache_dir() == os.path.join(str(tmp_path), "samplernn")
