"""The tables in docs/ that come from benchmarks/results/, rewritten between their markers:

    python -m benchmarks.docs_tables            # after a benchmark run wrote new results
    python -m benchmarks.docs_tables --check    # exit status 1 when a page no longer shows its results

A generated table sits between `<!-- generated: NAME -->` and `<!-- end generated -->`; the prose around it,
with the machine and the load of the run, is written by hand.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path

RESULTS = Path(__file__).parent / "results"
DOCS = Path(__file__).resolve().parents[1] / "docs"

RENDERER_NAMES = {"reference": "reference (AXD 2)"}
RENDERER_COLUMNS = (("l2", "ℓ2 ×10³", "{:.2f}"), ("mag", "L_mag", "{:.4f}"), ("phs", "L_phs", "{:.2f}"), ("stft", "L_STFT", "{:.3f}"),
                    ("pesq", "PESQ", "{:.2f}"), ("itd", "ITD err µs", "{:.0f}"), ("ild", "ILD err dB", "{:.2f}"),
                    ("loc_mae_deg", "loc MAE °", "{:.1f}"), ("loc_acc", "loc12", "percent"), ("loc_kemar_acc", "loc12 KEMAR", "percent"),
                    ("side", "side", "count"), ("rtf_static", "RTF static", "{:.4f}"), ("rtf_moving", "RTF moving", "{:.4f}"))
def _cell(value: float | None, fmt: str, count: int | None = None) -> str:
    if value is None:
        return "-"
    if fmt == "percent":
        return f"{100 * value:.0f} %"
    if fmt == "count":
        return f"{round(value * (count or 0))}/{count}"
    return fmt.format(value)


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def renderer_fidelity(result: dict) -> str:
    """`cascade bench renderers`: one row per renderer (the reference has only the listener's columns)."""
    lines = [_row(["renderer", *(title for _, title, _ in RENDERER_COLUMNS)]), _row(["---"] * (1 + len(RENDERER_COLUMNS)))]
    for name, summary in result["summary"].items():
        lines.append(_row([RENDERER_NAMES.get(name, name),
                           *(_cell(summary.get(key), fmt, summary.get("side_count")) for key, _, fmt in RENDERER_COLUMNS)]))
    return "\n".join(lines)


def comparison(result: dict) -> str:
    """`cascade bench compare`: its headline table (one row per path), its seen against held-out wordings, and the
    published figures apart."""
    from benchmarks import compare_report

    return "\n\n".join([compare_report.headline(result), compare_report.wordings(result), compare_report.published()])


TABLES: dict[str, tuple[str, str, Callable[[dict], str]]] = {  # name -> (page, results file, table)
    "renderer-fidelity": ("performance.md", "renderer_fidelity.json", renderer_fidelity),
    "cascade-vs-end-to-end": ("end-to-end.md", "compare-96.json", comparison),
}


def rewritten(text: str, name: str, table: str) -> str:
    """`text` with the block of table `name` replaced by `table`; ValueError when the page has no such block."""
    pattern = re.compile(rf"(<!-- generated: {re.escape(name)} [^\n]*-->\n).*?(\n<!-- end generated -->)", re.DOTALL)
    if not pattern.search(text):
        raise ValueError(f"no block '<!-- generated: {name} ... -->' ... '<!-- end generated -->'")
    return pattern.sub(lambda m: m.group(1) + table + m.group(2), text, count=1)


def stale_pages(docs: Path = DOCS, results: Path = RESULTS, write: bool = False) -> list[str]:
    """Pages whose generated tables differ from the results (rewritten when `write`); a missing results file leaves
    its table as it is."""
    pages: dict[Path, str] = {}
    for name, (page, source, make) in TABLES.items():
        if not (results / source).is_file():
            continue
        path = docs / page
        text = pages.get(path, path.read_text(encoding="utf-8"))
        pages[path] = rewritten(text, name, make(json.loads((results / source).read_text(encoding="utf-8"))))
    stale = [p.name for p, text in pages.items() if text != p.read_text(encoding="utf-8")]
    if write:
        for path, text in pages.items():
            path.write_text(text, encoding="utf-8")
    return stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report pages that differ from the results (exit status 1)")
    args = parser.parse_args(argv)
    stale = stale_pages(write=not args.check)
    verb = "differ from their results" if args.check else "rewritten"
    print(f"{', '.join(stale)}: {verb}" if stale else "docs tables match benchmarks/results/")
    return 1 if stale and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
