"""Argument parsing for `spikemem`; each subcommand is a module cmd_<name>.py defining
`add_parser(subparsers)` (which sets `func`) — listed in COMMANDS."""
from __future__ import annotations

import argparse
import importlib
import sys
import warnings

from ..errors import ModelError

#: subcommand modules, in --help order
COMMANDS = ["targets", "info", "run", "demo", "experiment", "map", "export", "continual",
            "sweep", "results"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="spikemem",
        description="Define a spiking network once, run it on every target.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        importlib.import_module(f".cmd_{name}", __package__).add_parser(sub)
    return parser


def run(argv: list[str]) -> int:
    """Run one command. Bad input (a ModelError, or a file the system refuses: OSError) is
    one line, `spikemem CMD: error: ...` on stdout, and exit code 2, never a traceback;
    warnings are one line each on stderr."""
    args = build_parser().parse_args(argv)
    error = None
    with warnings.catch_warnings(record=True) as caught:
        try:
            code = int(args.func(args) or 0)
        except (ModelError, OSError) as e:
            code, error = 2, e
    for w in caught:
        print(f"spikemem {args.command}: warning: {_one_line(w.message)}", file=sys.stderr)
    if error is not None:
        print(f"spikemem {args.command}: error: {_one_line(error)}")
    return code


def _one_line(message) -> str:
    return " ".join(str(message).split())
