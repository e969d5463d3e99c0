"""Atomic output directories: write into a temporary sibling, then rename into place."""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path


class OutputDirectoryError(OSError):
    """The output directory (or its temporary sibling) cannot be created or written."""


@contextmanager
def atomic_directory(path):
    """Yield a temporary directory that replaces ``path`` only when the block succeeds.

    The temporary directory is a sibling of ``path`` (same file system, so the final
    ``os.rename`` is atomic). On an exception (also ``KeyboardInterrupt``) it is removed and
    ``path`` is left as it was: an interrupted writer never leaves a half-written directory
    that looks complete. An existing ``path`` is moved aside, replaced, then deleted.

    Raises
    ------
    OutputDirectoryError
        If the parent of ``path`` cannot be created or written (e.g. under ``/proc``).
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = Path(tempfile.mkdtemp(prefix=f".{path.name}.tmp-", dir=path.parent))
    except OSError as exc:
        raise OutputDirectoryError(f"cannot write the output directory {os.fspath(path)!r}: "
                                   f"{exc.strerror or exc}") from None
    try:
        yield temp
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    temp.chmod(0o755)
    old = None
    if path.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{path.name}.old-", dir=path.parent))
        os.rename(path, old / path.name)
    os.rename(temp, path)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def atomic_write_bytes(path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same directory + rename, so
    that a reader (or a concurrent writer) never sees a partial file."""
    path = Path(path)
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise


def atomic_write_text(path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically (:func:`atomic_write_bytes`)."""
    atomic_write_bytes(path, text.encode("utf-8"))
