"""What a user sees while the tools work: a Keras progress bar on a terminal, lines elsewhere (a log file, CI)."""

import math
import sys
import time

import keras

PROGRESS_LINE_SECONDS = 10.0  # generation away from a terminal: a progress line at most this often (and at the end)


class StepReporter:
    """A Keras progress bar on a terminal; elsewhere one line per step in the form PRiSM users know."""

    def __init__(self, epoch, num_epochs, total_steps, log):
        self.epoch, self.num_epochs, self.total, self.log = epoch, num_epochs, total_steps, log
        self.bar = keras.utils.Progbar(total_steps, stateful_metrics=["bits", "accuracy"]) \
            if sys.stdout.isatty() else None

    def report(self, step, bits, accuracy, seconds):
        if self.bar is not None:
            self.bar.update(step, [("bits", bits), ("accuracy", accuracy)])
        else:
            self.log(f"Epoch: {self.epoch}/{self.num_epochs}, Step: {step}/{self.total}, Loss: {bits:.3f} bits, "
                     f"Accuracy: {accuracy:.2f}, ({seconds:.2f} sec/step)")


class Progress:
    """A Keras progress bar on a terminal; elsewhere a line now and then: seconds done, speed, time left. The
    speed is counted from the end of the first piece (which includes compiling the loop) once there is more."""

    def __init__(self, total_seconds, log=print):
        self.total, self.log, self.last_line, self.first = total_seconds, log, None, None
        self.start = time.perf_counter()
        self.bar = keras.utils.Progbar(max(1, math.ceil(total_seconds)), unit_name="s",
                                       stateful_metrics=["audio_s_per_s"]) if sys.stdout.isatty() else None

    def update(self, seconds_done):
        now = time.perf_counter()
        since, done_then = self.first or (self.start, 0.0)
        speed = (seconds_done - done_then) / max(now - since, 1e-9) if self.first else seconds_done / (now - since)
        self.first = self.first or (now, seconds_done)
        if self.bar is not None:
            self.bar.update(min(math.ceil(seconds_done), self.bar.target), [("audio_s_per_s", speed)])
            return
        finished = seconds_done >= self.total
        if finished or self.last_line is None or now - self.last_line >= PROGRESS_LINE_SECONDS:
            self.last_line = now
            self.log(f"Generated {seconds_done:.1f} of {self.total:.1f} s ({speed:.2f} s of audio per second, "
                     f"{_duration((self.total - seconds_done) / max(speed, 1e-9))} left)")


def _duration(seconds):
    minutes, seconds = divmod(int(round(seconds)), 60)
    return f"{minutes} min {seconds:02d} s" if minutes else f"{seconds} s"
