"""`python -m benchmarks [NAME ...] [--repeat N] [--json] [--keep] [--list]`."""

from __future__ import annotations

import argparse
import sys

from benchmarks import WORKLOADS, harness


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Run KAM's benchmarks; print each figure and its ratio to a baseline "
        "measured in the same run.",
    )
    parser.add_argument(
        "names",
        nargs="*",
        metavar="NAME",
        help="which to run (default: all of " + ", ".join(WORKLOADS) + ")",
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs per benchmark; the median is reported"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directories")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    benches = harness.load(args.names)
    if args.list:
        for bench in benches:
            print(f"{bench.name:<20} {bench.title}")
        return
    results, failed = [], []
    for bench in benches:
        try:
            results.append(harness.run(bench, repeat=args.repeat, keep=args.keep))
        except Exception as error:  # one broken workload must not hide the others' figures
            failed.append(f"{bench.name} failed: {type(error).__name__}: {error}")
    print(harness.as_json(results) if args.json else harness.render(results))
    for line in failed:
        print(line, file=sys.stderr)
    if failed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
