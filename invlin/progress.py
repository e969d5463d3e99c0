"""A dependency-free progress bar for long work (training, checks, reports)."""

from __future__ import annotations

import sys
import time


class ProgressBar:
    """Text progress bar written to stderr.

    Parameters
    ----------
    total : int
        Number of steps.
    description : str
        Label shown before the bar.
    enabled : bool or None
        ``None`` (default) shows the bar only when stderr is a terminal, so that logs and
        captured output stay clean.

    Examples
    --------
    >>> with ProgressBar(3, "demo", enabled=False) as bar:
    ...     for _ in range(3):
    ...         bar.update()
    """

    width = 30

    def __init__(self, total: int, description: str = "", *, enabled: bool | None = None):
        self.total = max(int(total), 1)
        self.description = description
        self.enabled = sys.stderr.isatty() if enabled is None else bool(enabled)
        self.count = 0
        self.postfix = ""
        self._start = time.perf_counter()
        self._last_draw = 0.0

    def __enter__(self) -> "ProgressBar":
        self._draw(force=True)
        return self

    def __exit__(self, *exc) -> None:
        self._draw(force=True)
        if self.enabled:
            sys.stderr.write("\n")
            sys.stderr.flush()

    def update(self, steps: int = 1, postfix: str | None = None) -> None:
        """Advance by ``steps`` and optionally replace the text shown after the bar."""
        self.count = min(self.count + steps, self.total)
        if postfix is not None:
            self.postfix = postfix
        self._draw()

    def _draw(self, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if not force and now - self._last_draw < 0.1 and self.count < self.total:
            return
        self._last_draw = now
        filled = int(self.width * self.count / self.total)
        bar = "#" * filled + "-" * (self.width - filled)
        elapsed = now - self._start
        sys.stderr.write(
            f"\r{self.description} [{bar}] {self.count}/{self.total} {elapsed:6.1f}s {self.postfix}"
        )
        sys.stderr.flush()
