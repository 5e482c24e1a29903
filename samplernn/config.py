"""SampleRNNConfig: the one typed description of a model, its quantization and its audio.

The same object is read from `--config_file`, written as `config.json` into every run directory and
read back by generation and resume. JSON key = dataclass field = `SampleRNN` keyword argument.
"""

import dataclasses
import json
import os
from typing import Optional

from samplernn.errors import SampleRNNError

Q_TYPES = ("mu-law", "a-law", "linear")
RNN_TYPES = ("gru", "lstm")
MAX_Q_LEVELS = 65536


@dataclasses.dataclass(frozen=True)
class SampleRNNConfig:
    """Model, quantization and audio settings. Defaults are PRiSM's (3-tier, dim 1024, 4 GRU layers)."""

    seq_len: int = 1024
    frame_sizes: tuple = (16, 64)
    dim: int = 1024
    rnn_type: str = "gru"
    num_rnn_layers: int = 4
    q_type: str = "mu-law"
    q_levels: int = 256
    emb_size: int = 256
    skip_conn: bool = False
    rnn_dropout: float = 0.0
    weight_norm: bool = True
    learn_h0: bool = True
    amplitude_input: bool = False
    sample_rate: int = 16000

    def __post_init__(self):
        if not isinstance(self.frame_sizes, (list, tuple)):
            raise SampleRNNError(f"'frame_sizes' must be a list of integers, got {self.frame_sizes!r}")
        object.__setattr__(self, "frame_sizes", tuple(self.frame_sizes))
        _check_types(self)
        _check_values(self)

    @property
    def big_frame_size(self) -> int:
        """Samples of context the top tier needs before the first predicted sample."""
        return self.frame_sizes[-1]

    @property
    def num_tiers(self) -> int:
        """Frame tiers plus the sample-level MLP."""
        return len(self.frame_sizes) + 1

    def model_kwargs(self) -> dict:
        """The fields that `SampleRNN(...)` takes."""
        names = ("frame_sizes", "dim", "rnn_type", "num_rnn_layers", "q_type", "q_levels", "emb_size",
                 "skip_conn", "rnn_dropout", "weight_norm", "learn_h0", "amplitude_input")
        return {name: getattr(self, name) for name in names}

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["frame_sizes"] = list(self.frame_sizes)
        return d

    @classmethod
    def from_dict(cls, d: dict, source: str = "config") -> "SampleRNNConfig":
        """Builds a config from a dict; unknown keys and wrong types are errors naming the key."""
        if not isinstance(d, dict):
            raise SampleRNNError(f"{source}: expected a JSON object, got {type(d).__name__}")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise SampleRNNError(f"{source}: unknown config key(s) {', '.join(map(repr, unknown))}; "
                                 f"known keys are {', '.join(sorted(known))}")
        try:
            return cls(**d)
        except SampleRNNError as e:
            raise SampleRNNError(f"{source}: {e}") from None

    def replace(self, **changes) -> "SampleRNNConfig":
        return dataclasses.replace(self, **changes)

    def diff(self, other: "SampleRNNConfig", keys=None) -> list:
        """Names of the fields (of `keys`, default all) whose values differ between two configs."""
        a, b = self.to_dict(), other.to_dict()
        return [k for k in (keys or a) if a[k] != b[k]]

    def describe_diff(self, other: "SampleRNNConfig", mine: str, theirs: str, keys=None) -> str:
        """The differing fields (of `keys`, default all) as "key: <value> <mine> vs <value> <theirs>, ..."
        (empty when equal)."""
        a, b = self.to_dict(), other.to_dict()
        return ", ".join(f"{k}: {a[k]!r} {mine} vs {b[k]!r} {theirs}" for k in self.diff(other, keys))


# Keys that shape training, not the weights: a run initialised from another's weights (train.py --init_from) may
# change them; every other key is part of the architecture (or of what the levels mean) and must be the same.
TRAINING_KEYS = ("seq_len", "rnn_dropout")
ARCHITECTURE_KEYS = tuple(f.name for f in dataclasses.fields(SampleRNNConfig) if f.name not in TRAINING_KEYS)


def load_config(path: Optional[str]) -> SampleRNNConfig:
    """Reads a JSON config file (keys absent from it take their defaults); None gives the defaults."""
    if path is None:
        return SampleRNNConfig()
    if not os.path.isfile(path):
        raise SampleRNNError(f"config file '{path}' does not exist")
    try:
        with open(path) as f:
            d = json.load(f)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise SampleRNNError(f"config file '{path}' is not valid JSON: {e}") from None
    return SampleRNNConfig.from_dict(d, source=f"config file '{path}'")


def save_config(config: SampleRNNConfig, path: str) -> None:
    with open(path, "w") as f:
        json.dump(config.to_dict(), f, indent=2)
        f.write("\n")


_FIELD_TYPES = {"seq_len": int, "dim": int, "num_rnn_layers": int, "q_levels": int, "emb_size": int,
                "sample_rate": int, "rnn_type": str, "q_type": str, "skip_conn": bool,
                "weight_norm": bool, "learn_h0": bool, "amplitude_input": bool, "rnn_dropout": float}


def _check_types(c: SampleRNNConfig) -> None:
    for name, typ in _FIELD_TYPES.items():
        value = getattr(c, name)
        # bool is a subclass of int in Python: reject it where a number is expected.
        ok = isinstance(value, typ) and not (typ is not bool and isinstance(value, bool))
        if typ is float and isinstance(value, int) and not isinstance(value, bool):
            ok = True
        if not ok:
            raise SampleRNNError(f"'{name}' must be of type {typ.__name__}, got {value!r}")
    if not c.frame_sizes or not all(isinstance(f, int) and not isinstance(f, bool) for f in c.frame_sizes):
        raise SampleRNNError(f"'frame_sizes' must be a non-empty list of integers, got {list(c.frame_sizes)!r}")


def _check_values(c: SampleRNNConfig) -> None:
    for name in ("seq_len", "dim", "num_rnn_layers", "emb_size", "sample_rate"):
        if getattr(c, name) <= 0:
            raise SampleRNNError(f"'{name}' must be positive, got {getattr(c, name)}")
    fs = c.frame_sizes
    if fs[0] < 1 or any(b <= a or b % a for a, b in zip(fs, fs[1:])):
        raise SampleRNNError(f"'frame_sizes' {list(fs)} must increase, each dividing the next (e.g. [16, 64])")
    if c.seq_len % fs[-1]:
        raise SampleRNNError(f"'seq_len' {c.seq_len} must be a multiple of the largest frame size {fs[-1]}")
    if c.rnn_type not in RNN_TYPES:
        raise SampleRNNError(f"'rnn_type' must be one of {', '.join(RNN_TYPES)}, got {c.rnn_type!r}")
    if c.q_type not in Q_TYPES:
        raise SampleRNNError(f"'q_type' must be one of {', '.join(Q_TYPES)}, got {c.q_type!r}")
    if not 2 <= c.q_levels <= MAX_Q_LEVELS:
        raise SampleRNNError(f"'q_levels' must be between 2 and {MAX_Q_LEVELS}, got {c.q_levels}")
    if c.q_type != "linear" and c.q_levels % 2:
        raise SampleRNNError(f"'q_levels' must be even for q_type {c.q_type!r} (a symmetric companding law), "
                             f"got {c.q_levels}")
    if not 0.0 <= c.rnn_dropout < 1.0:
        raise SampleRNNError(f"'rnn_dropout' must be in [0, 1), got {c.rnn_dropout}")
