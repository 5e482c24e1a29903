"""The one exception type for problems a user can fix (bad input, bad flags, bad files)."""


class SampleRNNError(Exception):
    """A user-facing error: the message names the problem and the file, flag or key involved.

    Scripts catch it, print ``error: <message>`` on stderr and exit with status 2.
    """
