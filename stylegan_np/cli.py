"""What every command-line program shares: --backend, and one-line errors instead of tracebacks."""
from __future__ import annotations

import sys

from .errors import UserError


def add_backend_argument(parser, default="numpy"):
    parser.add_argument("--backend", choices=("numpy", "cupy"), default=default,
                        help="array library: numpy (CPU) or cupy (NVIDIA GPU) (default: %(default)s)")


def run_main(main, argv=None):
    """Call main(argv); a UserError becomes one line on stderr and exit status 2."""
    try:
        return main(argv)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2)
