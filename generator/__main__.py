"""Command line of the generator: `python -m generator [--check] [--spec PATH] [--out DIR]`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from generator.build import HUB_SPEC, REPO_ROOT, build, stale_files
from generator.method_table import SpecError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m generator", description=__doc__)
    parser.add_argument("--spec", type=Path, default=REPO_ROOT / "spec" / "project-api.yaml")
    parser.add_argument("--hub-spec", type=Path, default=HUB_SPEC)
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "generated")
    parser.add_argument(
        "--check",
        action="store_true",
        help="generate into a temporary folder and fail if --out differs from it",
    )
    options = parser.parse_args(argv)
    try:
        return _run(options)
    except SpecError as error:
        print(f"{options.spec}: {error}", file=sys.stderr)
        return 2


def _run(options: argparse.Namespace) -> int:
    if options.check:
        stale = stale_files(options.spec, options.out, options.hub_spec)
        if stale:
            print(f"{options.out} is stale; run `make generate`. Differs:", file=sys.stderr)
            for name in stale:
                print(f"  {name}", file=sys.stderr)
            return 1
        print(f"{options.out} matches {options.spec} and {options.hub_spec}")
        return 0
    build(options.spec, options.out, options.hub_spec)
    print(f"generated {options.out} from {options.spec} and {options.hub_spec}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
