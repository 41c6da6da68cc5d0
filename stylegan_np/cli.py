"""What every command-line program shares: --backend, flag types that check their values where they
are parsed, and one-line errors instead of tracebacks (exit status 2 for a mistake in the input, 1 for
a failure of the machine such as a full disk, 130 for Ctrl-C)."""
from __future__ import annotations

import argparse
import math
import os
import sys

from .errors import UserError


class ArgumentParser(argparse.ArgumentParser):
    """argparse, but a bad flag is one line on stderr (argparse prints its whole usage first)."""

    def error(self, message):
        print(f"error: {message} (see {self.prog} --help)", file=sys.stderr)
        raise SystemExit(2)


def add_backend_argument(parser, default="numpy"):
    parser.add_argument("--backend", choices=("numpy", "cupy"), default=default,
                        help="array library: numpy (CPU) or cupy (NVIDIA GPU) (default: %(default)s)")


# --- flag types: argparse calls them on the text and reports ArgumentTypeError as "argument --x: ..." ---

def _number(text, kind):
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {'a whole number' if kind is int else 'a number'}, "
                                         f"got {text!r}") from None
    if kind is float and not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def _checked(kind, allowed, rule):
    """A flag type: a number of `kind` for which allowed(value) holds, else "argument --x: <rule>"."""
    def parse(text):
        value = _number(text, kind)
        if not allowed(value):
            raise argparse.ArgumentTypeError(f"{rule}, got {text!r}")
        return value
    return parse


positive_int = _checked(int, lambda v: v >= 1, "must be 1 or more")
nonnegative_int = _checked(int, lambda v: v >= 0, "must be 0 or more")
finite_float = _checked(float, lambda v: True, "")
positive_float = _checked(float, lambda v: v > 0, "must be more than 0")
nonnegative_float = _checked(float, lambda v: v >= 0, "must be 0 or more")
probability = _checked(float, lambda v: 0 <= v <= 1, "must lie between 0 and 1")


def path(text):
    """A file or folder argument, with ~ expanded: the shell leaves `--out=~/runs` alone, and without
    this a folder named "~" appears in the current directory."""
    return os.path.expanduser(text)


def run_main(main, argv=None):
    """Call main(argv); a UserError becomes one line on stderr and exit status 2, an error of the
    machine (OSError: disk full, permission denied) one line and status 1, Ctrl-C one line and 130."""
    try:
        return main(argv)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        raise SystemExit(130)
    except OSError as exc:
        where = f": {exc.filename}" if exc.filename else ""
        print(f"error: {exc.strerror or exc}{where}", file=sys.stderr)
        raise SystemExit(1)
