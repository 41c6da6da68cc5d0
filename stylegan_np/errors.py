"""User-facing errors.

A `UserError` is a mistake a user can fix (a bad flag, a missing file, no GPU).  The command-line
programs catch it and print its message as one line, without a traceback; library code raises it
wherever a user's input is wrong, with a message that says what to do.
"""


class UserError(Exception):
    """An error in the user's input or environment; its message is one line that says what to do."""
