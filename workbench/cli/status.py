"""`python -m workbench status`: what is loaded in the workbench database."""

from __future__ import annotations

import argparse

from store.db import connect
from store.home import Home
from store.queries import summary


def cmd_status(args: argparse.Namespace, home: Home) -> dict:
    """What is loaded in the workbench database."""
    with connect(home) as con:
        return {"home": str(home.root), **summary(con)}
