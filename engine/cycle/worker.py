"""The cycle process: `python -m engine.cycle.worker FOLDER` (launched by `engine.cycle.run`).

It runs `engine.cycle.run.carry_out` on its folder: reads the store briefly, lets the model answer
through a background evaluation, writes the cycle in one transaction and publishes it. A `stop`
file (or SIGTERM) ends it after the model's current batch; it can be resumed later.
"""

from __future__ import annotations

import logging
import signal
import sys
from pathlib import Path

from engine.cycle.folder import CycleFolder
from engine.cycle.run import carry_out
from store.home import Home


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or not (Path(args[0]) / "config.json").is_file():
        print("usage: python -m engine.cycle.worker CYCLE_FOLDER", file=sys.stderr)
        return 2
    folder = CycleFolder(Path(args[0]).resolve())
    home = Home(folder.root.parent.parent)
    signal.signal(signal.SIGTERM, lambda *_: folder.stop_flag.touch())
    return 0 if carry_out(home, folder) == "finished" else 1


if __name__ == "__main__":
    sys.exit(main())
