"""Run every benchmark (`make bench`), print a summary and write benchmarks/results/latest.json.

Each benchmark module ``benchmarks/bench_*.py`` exposes ``run(quick: bool = False) -> dict``: its figures,
each beside a bound or a baseline measured in the same run (machines are noisy: ratios and medians).
"""

from __future__ import annotations

import argparse
import importlib
import json
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).parent


def discover() -> list[str]:
    return sorted(p.stem for p in BENCH_DIR.glob("bench_*.py"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller inputs (a smoke run)")
    parser.add_argument("names", nargs="*", help="benchmark module names (default: all)")
    args = parser.parse_args(argv)
    names = args.names or discover()
    results: list[dict[str, Any]] = []
    for name in names:
        module = importlib.import_module(f"benchmarks.{name}")
        started = time.perf_counter()
        print(f"== {name}", flush=True)
        result = module.run(quick=args.quick)
        result.setdefault("name", name)
        result["wall_s"] = round(time.perf_counter() - started, 2)
        print(json.dumps(result, indent=2, default=str), flush=True)
        results.append(result)
    out_dir = BENCH_DIR / "results"
    out_dir.mkdir(exist_ok=True)
    report = {
        "measured_at": datetime.now(UTC).isoformat(),
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "quick": args.quick,
        "results": results,
    }
    (out_dir / "latest.json").write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(f"written {out_dir / 'latest.json'}")
    failed = [r["name"] for r in results if r.get("met") is False]
    if failed:
        print(f"targets not met: {', '.join(failed)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
