"""A real Prometheus server (Debian's `prometheus`) scraping a live test server, and
its HTTP API to ask PromQL. Skips where the binary is not installed."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from tests.port_support import free_port

PROMETHEUS = shutil.which("prometheus")
PROMTOOL = shutil.which("promtool")
needs_prometheus = pytest.mark.skipif(not PROMETHEUS, reason="Debian's prometheus is not installed")
needs_promtool = pytest.mark.skipif(
    not PROMTOOL, reason="Debian's prometheus (promtool) is not installed"
)


def scrape_job(name: str, target: str, auth: str) -> str:
    """A scrape job of one target every second; `auth`, the job's auth lines (YAML)."""
    return f"""
  - job_name: {name}
    scrape_interval: 1s
    scrape_timeout: 900ms
    metrics_path: /metrics
    static_configs:
      - targets: ["{target}"]
{auth}
"""


@contextmanager
def prometheus(jobs: list[str]):
    """A Prometheus with these scrape jobs, on a free loopback port, stopped after."""
    with tempfile.TemporaryDirectory(prefix="prometheus-") as home:
        config = Path(home, "prometheus.yml")
        config.write_text("global:\n  scrape_interval: 1s\nscrape_configs:\n" + "".join(jobs))
        port = free_port()
        log = open(Path(home, "log"), "w+")  # noqa: SIM115  (read on failure, closed below)
        process = subprocess.Popen(
            [
                PROMETHEUS,
                f"--config.file={config}",
                f"--storage.tsdb.path={home}/data",
                f"--web.listen-address=127.0.0.1:{port}",
                "--web.enable-lifecycle",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            yield PromQL(f"http://127.0.0.1:{port}", log)
        finally:
            process.terminate()
            process.wait(timeout=30)
            log.close()


class PromQL:
    def __init__(self, url: str, log):
        self.url, self.log = url, log

    def query(self, promql: str) -> list[dict]:
        response = requests.get(f"{self.url}/api/v1/query", params={"query": promql}, timeout=5)
        response.raise_for_status()
        body = response.json()
        assert body["status"] == "success", body
        return body["data"]["result"]

    def wait_for(self, promql: str, seconds: float = 60) -> list[dict]:
        """The first non-empty answer to the query, polled (the first scrapes take a
        moment); fails with the server's log and targets when none comes."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                result = self.query(promql)
            except requests.RequestException:
                result = []
            if result:
                return result
            time.sleep(0.5)
        targets = requests.get(f"{self.url}/api/v1/targets", timeout=5).text
        self.log.seek(0)
        pytest.fail(f"no answer to {promql!r} in {seconds}s\n{targets}\n{self.log.read()}")
