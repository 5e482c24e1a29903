"""The learning-rate schedule of `--lr_schedule` and `--warmup_steps`. Light: no TensorFlow import."""

import math

LR_SCHEDULES = ("constant", "cosine")


def learning_rate_at(peak, schedule, warmup_steps, step, fraction_done):
    """The learning rate of step `step` (0-based), `fraction_done` (0 to 1) of the way through training.

    A linear warm-up from peak / warmup_steps to `peak` over the first `warmup_steps` steps (none when 0), then
    `peak` ("constant") or a half cosine from `peak` down to 0 at the end of training ("cosine").
    """
    if schedule not in LR_SCHEDULES:
        raise ValueError(f"unknown learning-rate schedule {schedule!r}")
    rate = peak * min(1.0, (step + 1) / warmup_steps) if warmup_steps else peak
    if schedule == "cosine":
        rate *= 0.5 * (1.0 + math.cos(math.pi * min(1.0, max(0.0, fraction_done))))
    return rate
