"""``python -m triage.api serve|token ...`` (the same subcommands as ``triage serve|token``)."""

from __future__ import annotations

import argparse
import sys

from triage.api.cli import add_subcommands


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m triage.api", description="triage clinician service")
    sub = parser.add_subparsers(dest="command", required=True)
    add_subcommands(sub)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
