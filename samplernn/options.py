"""TrainOptions: how to train (the model is described by `SampleRNNConfig`). Light: no TensorFlow import."""

import dataclasses

from samplernn.errors import SampleRNNError
from samplernn.schedule import LR_SCHEDULES

OPTIMIZERS = ("adam", "muon", "sgd", "rmsprop")
CHECKPOINT_POLICIES = ("Always", "Best")
NAN_POLICIES = ("stop", "skip")
MIXED_PRECISION = ("off", "bf16", "fp16")
# train.py's --mixed_precision: also auto, bf16 on CPUs with bfloat16 units, else off (samplernn.precision).
PRECISION_CHOICES = ("auto",) + MIXED_PRECISION
TEMPERATURE = 1.0  # default sampling temperature of generate.py and of train.py's generations (BENCHMARKS.md)
# adaptive: each stream's temperature is steered so that its audio stays as surprising to the model as the
# validation audio (times --temperature); plain: drawn at the fixed --temperature (samplernn.generation).
SAMPLING = ("adaptive", "plain")
# How each sample's level is drawn from its distribution (samplernn.generation): inverse, one uniform number per
# sample; gumbel, Gumbel-max, one per level (the draw before --draw existed). Both draw exactly from the same
# distribution, so they differ only in which random numbers make which audio, and in speed (BENCHMARKS.md).
DRAWS = ("inverse", "gumbel")
DRAW = "inverse"


@dataclasses.dataclass(frozen=True)
class TrainOptions:
    """Defaults of the train.py flags of the same names."""

    num_epochs: int = 100
    batch_size: int = 64
    optimizer: str = "adam"
    learning_rate: float = 1e-3
    lr_schedule: str = "constant"
    warmup_steps: int = 0
    momentum: float = 0.9
    clip_norm: float = 1.0
    val_frac: float = 0.1
    val_minutes: float = 5.0
    cache_dir: str = None
    seed: int = 0
    checkpoint_every: int = 1
    checkpoint_policy: str = "Always"
    max_checkpoints: int = 5
    early_stopping_patience: int = 3
    generate: bool = True
    max_generate_per_epoch: int = 1
    output_file_dur: float = 3.0
    temperature: tuple = (TEMPERATURE,)
    sampling: str = "adaptive"
    nan_policy: str = "stop"
    accumulate_steps: int = 1
    segment_windows: int = 0
    mixed_precision: str = "auto"
    multi_gpu: bool = True

    def __post_init__(self):
        object.__setattr__(self, "temperature", tuple(self.temperature))
        if self.optimizer not in OPTIMIZERS:
            raise SampleRNNError(f"--optimizer must be one of {', '.join(OPTIMIZERS)}, got {self.optimizer!r}")
        if self.lr_schedule not in LR_SCHEDULES:
            raise SampleRNNError(f"--lr_schedule must be one of {', '.join(LR_SCHEDULES)}, got {self.lr_schedule!r}")
        if self.checkpoint_policy not in CHECKPOINT_POLICIES:
            raise SampleRNNError(f"--checkpoint_policy must be one of {', '.join(CHECKPOINT_POLICIES)}, "
                                 f"got {self.checkpoint_policy!r}")

        if self.accumulate_steps > self.batch_size:
            raise SampleRNNError(f"--accumulate_steps ({self.accumulate_steps}) cannot exceed --batch_size "
                                 f"({self.batch_size}): each micro-batch needs at least one file")
        if self.mixed_precision not in PRECISION_CHOICES:
            raise SampleRNNError(f"--mixed_precision must be one of {', '.join(PRECISION_CHOICES)}, "
                                 f"got {self.mixed_precision!r}")
        if self.sampling not in SAMPLING:
            raise SampleRNNError(f"--sampling must be one of {', '.join(SAMPLING)}, got {self.sampling!r}")
        if self.nan_policy not in NAN_POLICIES:
            raise SampleRNNError(f"--nan_policy must be one of {', '.join(NAN_POLICIES)}, got {self.nan_policy!r}")

    def to_dict(self):
        d = dataclasses.asdict(self)
        d["temperature"] = list(self.temperature)
        return d
