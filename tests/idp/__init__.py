"""Identity providers on loopback for the single sign-on tests, each a process of its own."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import requests


class Served:
    """A server process whose output goes to a log file, up once `url` answers."""

    def __init__(self, name: str, log_path: Path) -> None:
        self.name, self.log_path = name, log_path
        self.process: subprocess.Popen | None = None

    def start(self, args: list[str], url: str, cwd: Path | None = None) -> None:
        self.log = self.log_path.open("w")
        self.process = subprocess.Popen(args, cwd=cwd, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(url, timeout=1).raise_for_status()
                return
            except requests.RequestException:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(
                        f"{self.name} did not start:\n{self.log_path.read_text()}"
                    ) from None
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.log.close()
