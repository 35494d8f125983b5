"""The progress bar of `bfxdb import` and `bfxdb export`, drawn on standard error."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    # click returns its bar class without exporting it; its typing names it from here too.
    from click._termui_impl import ProgressBar as ClickBar


class ProgressBar:
    """A click progress bar on standard error, or nothing when that is not a terminal.

    click's bar is used rather than rich's: click is already a dependency, and its bar has
    the percentage, the ETA and a free text field (here rows and rows per second).
    """

    def __init__(self, enabled: bool | None, label: str, unit: str) -> None:
        stderr = sys.stderr
        self.enabled = stderr.isatty() if enabled is None else enabled
        self.label, self.unit, self.stream = label, unit, stderr
        self.bar: ClickBar[str] | None = None
        self.position = 0
        self.started = time.perf_counter()

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.bar is not None:
            self.bar.render_finish()

    def update(self, done: int, total: int, rows: int | None = None) -> None:
        """Move the bar to ``done`` of ``total`` (bytes or rows), showing the rows and rows per second.

        :param rows: the rows so far, when ``done`` counts something else (bytes read).
        """
        if not self.enabled:
            return
        if self.bar is None:
            self.bar = click.progressbar(
                length=max(total, 1), label=self.label, file=self.stream, show_eta=True, show_percent=True,
                item_show_func=_as_shown,
            )
            self.bar.render_progress()
        count = done if rows is None else rows
        rate = count / max(time.perf_counter() - self.started, 1e-9)
        self.bar.update(max(done - self.position, 0), f"{count:,} {self.unit}, {rate:,.0f} {self.unit}/s")
        self.position = max(done, self.position)


def _as_shown(text: str | None) -> str | None:
    """Show the bar's text field as it is given."""
    return text
