"""Ctrl-C held until the end of a training step, and a second one at once."""

import signal

import pytest

from samplernn.interrupts import deferred_interrupt


def test_a_ctrl_c_waits_for_the_end_of_the_block_and_a_second_one_does_not():
    before = signal.getsignal(signal.SIGINT)  # Python's own, or SIG_IGN where the runner was started in the background
    reached = []
    with pytest.raises(KeyboardInterrupt):
        with deferred_interrupt():
            signal.raise_signal(signal.SIGINT)
            reached.append("the rest of the block")
    assert reached == ["the rest of the block"]
    with pytest.raises(KeyboardInterrupt):
        with deferred_interrupt():
            signal.raise_signal(signal.SIGINT)
            signal.raise_signal(signal.SIGINT)
            reached.append("never")
    assert reached == ["the rest of the block"]
    assert signal.getsignal(signal.SIGINT) is before, "the previous handler is back"
