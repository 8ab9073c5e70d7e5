"""The `spikemem` command."""
import sys


def main(argv=None) -> int:
    from .app import run
    return run(sys.argv[1:] if argv is None else argv)
