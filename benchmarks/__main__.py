"""`python -m benchmarks NAME [options]` runs one benchmark; without a name, all of them with defaults."""

from __future__ import annotations

import sys

from benchmarks import daily_digest, escalation_tick, export_month, fanout, morning, rush

BENCHMARKS = {
    "morning": morning.main,
    "fanout": fanout.main,
    "rush": rush.main,
    "escalation": escalation_tick.main,
    "export_month": export_month.main,
    "daily_digest": daily_digest.main,
}


def main(argv: list[str]) -> None:
    if argv and argv[0] in ("-h", "--help"):
        print(__doc__)
        print("benchmarks:", ", ".join(BENCHMARKS))
        return
    if not argv or argv[0].startswith("-"):
        for run in BENCHMARKS.values():
            run(argv)
        return
    name, *rest = argv
    if name not in BENCHMARKS:
        sys.exit(f"unknown benchmark {name!r}; known: {', '.join(BENCHMARKS)}")
    BENCHMARKS[name](rest)


if __name__ == "__main__":
    main(sys.argv[1:])
