"""`python -m workbench init|demo`: the state folder, the built-in model and the demo."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, is_dataclass

from engine.demo.build import DemoConfig, build_demo
from engine.llm.models import resolve
from store.db import connect
from store.home import Home
from store.queries import summary
from workbench.cli.errors import CliError
from workbench.cli.users import create_first_admin


def cmd_init(args: argparse.Namespace, home: Home) -> dict:
    """Create the state folder, database and built-in tiny model; the demo if asked and empty."""
    home.ensure()
    with connect(home) as con:
        state = summary(con)
    built = None
    if args.demo_if_empty and state["funds"] == 0:
        built = cmd_demo(argparse.Namespace(seed=None, funds=None, force=False), home)
        with connect(home) as con:
            state = summary(con)
    model = None
    if not args.no_model:
        model = str(resolve(home, "builtin-tiny"))
    admin = {}
    if getattr(args, "admin", False):  # a first admin, its one-time password printed once
        first = create_first_admin(home)
        admin = (
            {"admin": first["user"]["user_name"], "admin_password": first["password"]}
            if first
            else {"admin": "not created: users exist already (see `user list`)"}
        )
    return {
        "home": str(home.root),
        "database": str(home.db_path),
        "demo": built,
        "tiny_model": model,
        **state,
        **admin,
    }


def cmd_demo(args: argparse.Namespace, home: Home) -> dict:
    """Build the synthetic demo universe into the store (deterministic, seeded)."""
    with connect(home) as con:
        state = summary(con)
    if state["funds"] and not state["synthetic"] and not getattr(args, "force", False):
        raise CliError(
            f"the store at {home.root} already holds your own data ({state['funds']} funds): the "
            "demo would mix synthetic funds into it. Use another --home, or --force"
        )
    overrides = {}
    if args.seed is not None:
        overrides["seed"] = args.seed
    if args.funds is not None:
        overrides["n_funds"] = args.funds
    return _as_dict(build_demo(home, DemoConfig(**overrides)))


def _as_dict(obj: object) -> dict:
    if is_dataclass(obj):
        return json.loads(json.dumps(asdict(obj), default=str))
    return dict(obj)  # type: ignore[call-overload]
