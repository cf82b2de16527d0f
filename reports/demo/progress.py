"""Progress of a long command: a bar on a terminal, plain lines in a log."""

from __future__ import annotations

import time

from django.core.management.base import OutputWrapper

WIDTH = 30


class Progress:
    """Counts work done against a total and shows it: redrawn a few times a second on
    a terminal (`bar`), otherwise one line every ten seconds."""

    def __init__(self, stream: OutputWrapper, *, bar: bool) -> None:
        self.stream = stream
        self.bar = bar
        self.interval = 0.2 if bar else 10.0
        self.label = ""
        self.total = self.done = self.shown_done = 0
        self.started = self.shown = 0.0

    def start(self, label: str, total: int) -> None:
        self.label, self.total, self.done = label, total, 0
        self.started = time.monotonic()
        self._show()

    def advance(self, count: int) -> None:
        self.done += count
        if time.monotonic() - self.shown >= self.interval:
            self._show()

    def finish(self) -> None:
        if self.bar or self.shown_done != self.total:
            self.done = self.total
            self._show()
        if self.bar:
            self.stream.write("")  # leave the finished bar on its own line

    def _show(self) -> None:
        self.shown, self.shown_done = time.monotonic(), self.done
        elapsed = self.shown - self.started
        fraction = self.done / self.total if self.total else 1.0
        counted = f"{self.done:,}/{self.total:,}"
        if self.bar:
            filled = int(fraction * WIDTH)
            rate = self.done / elapsed if elapsed > 0 else 0.0
            left = f", ~{(self.total - self.done) / rate:.0f} s left" if rate else ""
            bar = "#" * filled + "." * (WIDTH - filled)
            line = f"\r{self.label} [{bar}] {fraction:4.0%} {counted} in {elapsed:.0f} s{left}"
            # Pad over what a longer previous line left behind.
            self.stream.write(f"{line:<90}", ending="")
        else:
            self.stream.write(f"{self.label}: {counted} ({fraction:.0%}) in {elapsed:.0f} s")
        self.stream.flush()
