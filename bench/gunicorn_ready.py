"""gunicorn's configuration for the bench (bench/run.py start_gunicorn): each worker, once
it has loaded the app, leaves a file named after its pid in BENCH_READY_DIR. The port
answers as soon as the master binds it, before any worker has imported Django: a section
run alone counted a worker's boot in its figures."""

import os
from pathlib import Path


def post_worker_init(worker) -> None:
    Path(os.environ["BENCH_READY_DIR"], str(worker.pid)).touch()
