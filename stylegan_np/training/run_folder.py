"""Checks on a run folder before any training, so that nothing is lost: a new run never writes into a
folder that already holds something (another run's results, or anything else), and a run never
trains for an hour and then fails to save because its folder is a file, read-only or immutable.

Writability is tested by creating (and removing) a file, not by os.access: os.access says yes to
root, and to a folder whose file system is mounted read-only or whose immutable flag is set."""
from __future__ import annotations

import os
import tempfile

from ..errors import UserError


def _probe(folder, what):
    """Create and remove a file in `folder`; a one-line UserError if that fails."""
    try:
        with tempfile.TemporaryFile(prefix=".write-test-", dir=folder):
            pass
    except OSError as exc:
        raise UserError(f"cannot write in {folder} ({exc.strerror or exc}): {what}") from None


def check_new_folder(path, flag="--out"):
    """`path` may become a new run's folder: it does not exist yet (and can be created), or it is an
    empty folder we can write in.  Creates nothing."""
    if os.path.isdir(path):
        if os.path.exists(os.path.join(path, "config.json")):
            raise UserError(f"{flag} {path} already holds a run, which is never overwritten: continue it with "
                            f"--resume {path}, or choose another {flag}")
        if os.listdir(path):
            raise UserError(f"{flag} {path} already exists and is not empty: choose another {flag} "
                            "(a run gets a folder of its own)")
        _probe(path, f"fix its permissions or choose another {flag}")
        return
    if os.path.lexists(path):
        raise UserError(f"{flag} {path} is a file, not a folder: choose another {flag}")
    parent = os.path.dirname(os.path.abspath(path))
    while not os.path.lexists(parent):
        parent = os.path.dirname(parent)
    if not os.path.isdir(parent):
        raise UserError(f"{flag} {path} cannot be made: {parent} is a file, not a folder")
    _probe(parent, f"{path} cannot be made there; choose another {flag}")


def check_writable_run(path, files=("log.jsonl",)):
    """An existing run folder that a resumed run will write into: the folder and its checkpoints/ and
    samples/ (where they exist) take new files, and `files` that exist can be appended to."""
    for folder in (path, os.path.join(path, "checkpoints"), os.path.join(path, "samples")):
        if os.path.isdir(folder):
            _probe(folder, "a resumed run could not save; fix the permissions, or continue into a new "
                           "folder with --out")
    for name in files:
        file = os.path.join(path, name)
        if os.path.isfile(file):
            try:
                with open(file, "a"):
                    pass
            except OSError as exc:
                raise UserError(f"cannot write {file} ({exc.strerror or exc}): fix its permissions, or "
                                "continue into a new folder with --out") from None


def write_atomically(path, text):
    """Write a text file through a temporary file and a rename: a reader (or a crash) sees the old
    file or the new one, never half of one."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=folder)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
