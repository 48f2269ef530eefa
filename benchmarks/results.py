"""Writes the latest table to benchmarks/RESULTS.md (the README points there)."""

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.table import Row, failures, render_markdown

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
COMMAND = "make bench  # APE_FOUNDRY_HOST=auto .venv/bin/python -m benchmarks"


def write_results(rows: Sequence[Row], setting: str, path: Path = RESULTS) -> Path:
    missed = failures(rows)
    verdict = (
        "Every target is met."
        if not missed
        else "Targets missed: " + "; ".join(row.operation for row in missed) + "."
    )
    text = "\n".join(
        [
            "# Gas benchmark results",
            "",
            f"Latest run: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}, with",
            "",
            "```sh",
            COMMAND,
            "```",
            "",
            setting,
            "",
            "Gas is `gasUsed` from mined transactions' receipts (after refunds, including the",
            "21,000 intrinsic gas and calldata), except the `balanceOf` rows, which are",
            "`eth_estimateGas` of the call. `ratio` is PointsToken / plain ERC-20; `target` is the",
            "highest acceptable ratio, and a row without one is informational.",
            "",
            render_markdown(rows).rstrip("\n"),
            "",
            verdict,
            "",
        ]
    )
    path.write_text(text)
    return path
