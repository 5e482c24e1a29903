"""Decode once: the quantized levels of each audio file, kept on disk and read through memory maps.

    <cache_dir>/levels/<key>.npy       one file's levels (T,): uint8 for q_levels <= 256, else uint16
    <cache_dir>/index/<folder>.json    {key: [T, bytes of the .npy]} of one audio folder's files

An entry's key hashes the file's absolute path, size and modification time with the config's `sample_rate`,
`q_type` and `q_levels`: a changed file or config has another key, so it is decoded again and the old entry is
never read. Entries are written under temporary names, flushed to disk and renamed, so one exists under its
key only when complete; an entry that does not load as the index says (damaged, cut short) is decoded again.
The index gives every length without opening an entry, and entries are opened only when read and closed
when dropped: starting and resuming cost one `stat` per file, and resident memory does not grow with the data.
"""

import hashlib
import json
import os
import time
import uuid

import numpy as np

from samplernn.audio import load_audio
from samplernn.errors import SampleRNNError
from samplernn.quantization import quantize

CACHE_VERSION = 1  # part of every key: a change of the entry format makes old entries unreachable
PROGRESS_SECONDS = 30.0  # a decoding progress line at most this often
WRITE_BATCH = 64  # entries written, then flushed to disk together (~8 MB of 8-second 16 kHz chunks)


def default_cache_dir():
    """`$XDG_CACHE_HOME/samplernn`, by default `~/.cache/samplernn`."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "samplernn")


def level_dtype(q_levels):
    return np.dtype(np.uint8) if q_levels <= 256 else np.dtype(np.uint16)


def _hash(*parts):
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:32]


def _write_files(items):
    """Writes [(path, write)] atomically: each write(file) goes to a temporary file beside its path; once all are
    written, one flush puts them on disk (os.sync: much cheaper than an fsync per file) and they are renamed into
    place. A failure or a kill on the way leaves no file under its path (only temporary ones, never read)."""
    renames = []
    try:
        for path, write in items:
            renames.append((f"{path}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp", path))
            with open(renames[-1][0], "wb") as f:
                write(f)
        os.sync()
        for tmp, path in renames:
            os.replace(tmp, path)
    except OSError as e:
        raise SampleRNNError(f"cannot write the audio cache file '{renames[-1][1]}': {e.strerror or e}; free some "
                             "disk space or put the cache elsewhere with --cache_dir") from None
    finally:
        for tmp, _ in renames:
            if os.path.exists(tmp):  # only after a failure
                os.remove(tmp)


class CachedLevels:
    """The levels of a list of cached files, as a sequence: `levels[i]` is file i's (T,) uint8/uint16
    read-only memory map, opened when asked for; `lengths` (N,) int64 come from the index."""

    def __init__(self, cache, paths, keys, lengths):
        self.cache, self.paths, self.keys = cache, list(paths), list(keys)
        self.lengths = np.asarray(lengths, np.int64)

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, i):
        return self.cache.open_entry(self.paths[i], self.keys[i], int(self.lengths[i]))

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def subset(self, indices):
        """The files at `indices`, in that order."""
        return CachedLevels(self.cache, [self.paths[i] for i in indices], [self.keys[i] for i in indices],
                            self.lengths[list(indices)])


class LevelCache:
    """The cache of one `sample_rate`, `q_type` and `q_levels` (a `SampleRNNConfig`'s) under `root`."""

    def __init__(self, root, config, notice=print):
        self.root, self.config, self.notice = os.path.abspath(root), config, notice
        self.dtype = level_dtype(config.q_levels)
        for sub in ("levels", "index"):
            try:
                os.makedirs(os.path.join(self.root, sub), exist_ok=True)
            except OSError as e:
                raise SampleRNNError(f"cannot create the audio cache folder '{self.root}': {e.strerror or e}; "
                                     "choose another with --cache_dir") from None

    def _entry(self, key):
        return os.path.join(self.root, "levels", f"{key}.npy")

    def _index_path(self, folder):
        return os.path.join(self.root, "index", f"{_hash(folder)}.json")

    def _key(self, path):
        try:
            st = os.stat(path)
        except OSError as e:
            raise SampleRNNError(f"cannot read audio file '{path}': {e.strerror or e}") from None
        cfg = self.config
        return _hash(CACHE_VERSION, path, st.st_size, st.st_mtime_ns, cfg.sample_rate, cfg.q_type, cfg.q_levels)

    def load(self, paths):
        """`CachedLevels` of `paths`, decoding (once) the files that have no valid entry yet."""
        paths = [os.path.abspath(p) for p in paths]
        keys = [self._key(p) for p in paths]
        folders = sorted({os.path.dirname(p) for p in paths})
        indexes = {folder: self._read_index(folder) for folder in folders}
        lengths, missing = [], []
        for i, (path, key) in enumerate(zip(paths, keys)):
            entry = indexes[os.path.dirname(path)].get(key) or self._probe(key)
            if entry is None:
                missing.append(i)
            lengths.append(entry)
        if missing:
            self._decode_missing(paths, keys, lengths, missing)
        found = {folder: {} for folder in folders}
        for path, key, entry in zip(paths, keys, lengths):
            found[os.path.dirname(path)][key] = entry
        for folder, entries in found.items():
            if any(indexes[folder].get(k) != e for k, e in entries.items()):
                self._write_index(folder, entries)
        return CachedLevels(self, paths, keys, [e[0] for e in lengths])

    def _read_index(self, folder):
        """{key: [length, bytes]} of the entries whose .npy is there with the size the index says."""
        try:
            with open(self._index_path(folder)) as f:
                index = json.load(f)
        except (OSError, ValueError):  # none yet, or damaged: the entries are probed one by one
            return {}
        sizes = {}
        for key, entry in index.items():
            try:
                sizes[key] = os.stat(self._entry(key)).st_size
            except OSError:
                continue
        return {k: e for k, e in index.items() if isinstance(e, list) and len(e) == 2 and sizes.get(k) == e[1]}

    def _write_index(self, folder, entries):
        """Adds `entries` to the folder's index (re-read first: another process may have added its own)."""
        index = self._read_index(folder)
        index.update(entries)
        _write_files([(self._index_path(folder), lambda f: f.write(json.dumps(index).encode()))])

    def _probe(self, key):
        """[length, bytes] of an entry written but not indexed (e.g. by a run killed before its index), or None."""
        levels = self._open(key)
        return None if levels is None else [len(levels), os.stat(self._entry(key)).st_size]

    def _open(self, key, length=None):
        """The entry as a memory map, or None when it is missing or not what it should be."""
        try:
            levels = np.load(self._entry(key), mmap_mode="r", allow_pickle=False)
        except (OSError, ValueError):
            return None
        if levels.dtype != self.dtype or levels.ndim != 1 or (length is not None and len(levels) != length):
            return None
        return levels

    def open_entry(self, path, key, length):
        """File `path`'s (length,) levels; an entry damaged since the start is decoded again."""
        levels = self._open(key, length)
        if levels is None:
            self.notice(f"note: the cached levels of '{path}' are damaged: decoding it again")
            levels = self._store([path], [key])[0]
            if len(levels) != length:
                raise SampleRNNError(f"audio file '{path}' changed during training ({length} samples at the start, "
                                     f"{len(levels)} now)")
        return levels

    def _store(self, paths, keys):
        """Decodes and quantizes files and writes their entries; returns their levels."""
        cfg, all_levels = self.config, []
        for path in paths:
            audio = load_audio(path, cfg.sample_rate, notice=self.notice)
            all_levels.append(quantize(audio, cfg.q_type, cfg.q_levels).astype(self.dtype))
        _write_files([(self._entry(key), lambda f, levels=levels: np.save(f, levels, allow_pickle=False))
                      for key, levels in zip(keys, all_levels)])
        return all_levels

    def _decode_missing(self, paths, keys, lengths, missing):
        """Decodes the files at indices `missing` into the cache, WRITE_BATCH at a time, filling their `lengths`."""
        self.notice(f"Decoding {len(missing)} audio file(s) into the cache '{self.root}' (once: later runs and "
                    "resumes read it)")
        start = last = time.perf_counter()
        for done in range(0, len(missing), WRITE_BATCH):
            batch = missing[done:done + WRITE_BATCH]
            for i, levels in zip(batch, self._store([paths[i] for i in batch], [keys[i] for i in batch])):
                lengths[i] = [len(levels), os.stat(self._entry(keys[i])).st_size]
            if time.perf_counter() - last > PROGRESS_SECONDS and done + len(batch) < len(missing):
                last = time.perf_counter()
                self.notice(f"  decoded {done + len(batch)}/{len(missing)} file(s) in {last - start:.0f} s")
        self.notice(f"Decoded {len(missing)} file(s) in {time.perf_counter() - start:.1f} s")
