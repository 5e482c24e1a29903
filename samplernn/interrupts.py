"""Ctrl-C at a point training can resume from exactly."""

import contextlib
import signal
import threading


@contextlib.contextmanager
def deferred_interrupt():
    """Runs the block to its end even if Ctrl-C (SIGINT) comes during it: a first one is held and raised as
    KeyboardInterrupt when the block ends, a second one raises at once. Outside the main thread (where no
    signal handler can be set) the block runs as it is."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending = []

    def hold(signum, frame):
        if pending:
            raise KeyboardInterrupt
        pending.append(signum)

    previous = signal.signal(signal.SIGINT, hold)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous if previous is not None else signal.SIG_DFL)
    if pending:
        raise KeyboardInterrupt
