"""Turn pytest-benchmark JSON into the ratio table of RESULTS.md.

Usage: python benchmarks/report.py benchmarks/results.json
Prints a Markdown table: median time per call for each peer and kvengine's ratio
to each peer (how many times faster kvengine is; < 1 means slower).
"""

from __future__ import annotations

import json
import re
import sys
from collections import defaultdict


def main(path: str) -> None:
    with open(path) as f:
        data = json.load(f)
    table: dict[str, dict[str, float]] = defaultdict(dict)
    for bench in data["benchmarks"]:
        group = bench["group"] or bench["name"]
        m = re.search(r"\[(.+)\]", bench["name"])
        peer = m.group(1) if m else bench["name"]
        table[group][peer] = bench["stats"]["median"] * 1e6
    peers = ["dict", "kvengine", "fakeredis", "redis"]
    print("| operation | " + " | ".join(f"{p} (us)" for p in peers)
          + " | kvengine vs fakeredis | kvengine vs redis-py+server | kvengine / dict |")
    print("|---" * (len(peers) + 4) + "|")
    for group, row in table.items():
        cells = [f"{row[p]:.2f}" if p in row else "-" for p in peers]
        kv = row.get("kvengine")

        def ratio(other: str, faster: bool = True, row: dict[str, float] = row,
                  kv: float | None = kv) -> str:
            if kv is None or other not in row:
                return "-"
            return f"{row[other] / kv:.1f}x faster" if faster else f"{kv / row[other]:.1f}x"

        print(f"| {group} | " + " | ".join(cells)
              + f" | {ratio('fakeredis')} | {ratio('redis')} | {ratio('dict', False)} |")
    info = data.get("machine_info", {})
    print()
    print(f"Machine: {info.get('cpu', {}).get('brand_raw', '?')}, "
          f"Python {info.get('python_version', '?')}; medians of pytest-benchmark rounds.")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "benchmarks/results.json")
