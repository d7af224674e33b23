"""A stand-in job process for tests/test_jobs.py: `python -m tests.job_worker_support FOLDER`.

It says it runs (with its pid, arguments and OMP_WAIT_POLICY), waits for the stop flag and ends
"stopped", as a real worker does.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from engine.jobs.folder import JobFolder
from engine.jobs.jsonfiles import now_iso


def main(argv: list[str]) -> int:
    folder = JobFolder(Path(argv[0]))
    folder.write_status(
        state="running",
        pid=os.getpid(),
        args=argv[1:],
        omp_wait_policy=os.environ.get("OMP_WAIT_POLICY"),
        python_path=os.environ.get("PYTHONPATH", ""),
    )
    print("worker running", flush=True)
    while not folder.stop_requested():
        time.sleep(0.05)
    folder.write_status(state="stopped", finished_at=now_iso())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
