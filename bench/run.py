"""`make bench`: every benchmark in turn, each writing its section of BENCHMARKS.md.

    .venv/bin/python -m bench.run [--only delivery,ttff]

Runs delivery, time to first frame, mixed load and presigned playlists' cost, then ingest and packaging when those
modules exist and expose `main()`. A benchmark that fails is reported and the others
still run; the exit status says whether all passed.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import inspect
import os
import sys
import time
import traceback

ORDER = ("ingest", "packaging", "delivery", "ttff", "mixed", "presign_cost")


def run_one(name: str) -> str:
    """'ok', 'failed' or 'absent'."""
    if importlib.util.find_spec(f"bench.{name}") is None:
        return "absent"
    module = importlib.import_module(f"bench.{name}")
    main = getattr(module, "main", None)
    if not callable(main):
        return "absent"
    saved = sys.argv
    sys.argv = [f"bench.{name}"]  # a main() that parses sys.argv gets its defaults
    try:
        code = main([]) if inspect.signature(main).parameters else main()
    except Exception:  # noqa: BLE001 - one broken benchmark must not hide the others
        traceback.print_exc()
        return "failed"
    finally:
        sys.argv = saved
    return "ok" if code in (0, None) else "failed"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", default="", help=f"comma-separated subset of {','.join(ORDER)}")
    args = ap.parse_args(argv)
    names = [n for n in args.only.split(",") if n] or list(ORDER)
    unknown = set(names) - set(ORDER)
    if unknown:
        ap.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    os.environ["BENCH_VIA"] = "make bench"
    outcome = {}
    for name in names:
        t0 = time.monotonic()
        print(f"== bench.{name}", flush=True)
        outcome[name] = run_one(name)
        print(f"== bench.{name}: {outcome[name]} ({time.monotonic() - t0:.0f} s)", flush=True)
    print("summary: " + ", ".join(f"{n} {o}" for n, o in outcome.items()))
    return 1 if "failed" in outcome.values() else 0


if __name__ == "__main__":
    sys.exit(main())
