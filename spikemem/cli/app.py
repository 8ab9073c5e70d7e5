"""Argument parsing for `spikemem`; each subcommand is a module cmd_<name>.py defining
`add_parser(subparsers)` (which sets `func`) — listed in COMMANDS."""
from __future__ import annotations

import argparse
import importlib

from ..errors import ModelError

#: subcommand modules, in --help order
COMMANDS = ["targets", "info", "run", "demo", "experiment", "map", "export", "continual"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="spikemem",
        description="Define a spiking network once, run it on every target.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        importlib.import_module(f".cmd_{name}", __package__).add_parser(sub)
    return parser


def run(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ModelError as e:
        print(f"spikemem {args.command}: error: {e}")
        return 2
