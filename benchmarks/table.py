"""The benchmark's one table: a list of `Row` records and the renderers that print them.

Every benchmark, today's ledger operations and later redeem / exchange / indexer rows alike,
reports `Row`s; `render_console` and `render_markdown` print any list of them the same way.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from rich.console import Console
from rich.table import Table

HEADERS = ("operation", "PointsToken gas", "plain ERC-20 gas", "ratio", "target", "pass/fail")


@dataclass(frozen=True)
class Row:
    """One measured operation.

    `target` is the highest acceptable `ours / baseline`; a row without a target (or without
    a baseline) is informational and never fails. `note` is printed under the table.
    """

    operation: str
    ours: int
    baseline: int | None = None
    target: float | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if not self.baseline:
            return None
        return self.ours / self.baseline

    @property
    def passed(self) -> bool | None:
        """True or False against the target; None for an informational row."""
        if self.target is None or self.ratio is None:
            return None
        return self.ratio <= self.target


def failures(rows: Sequence[Row]) -> list[Row]:
    return [row for row in rows if row.passed is False]


def _cells(row: Row) -> tuple[str, str, str, str, str, str]:
    verdict = {True: "pass", False: "FAIL", None: "info"}[row.passed]
    return (
        row.operation,
        f"{row.ours:,}",
        "-" if row.baseline is None else f"{row.baseline:,}",
        "-" if row.ratio is None else f"{row.ratio:.2f}",
        "-" if row.target is None else f"<= {row.target:.2f}",
        verdict,
    )


def _notes(rows: Sequence[Row]) -> list[str]:
    return [f"{row.operation}: {row.note}" for row in rows if row.note]


def render_console(rows: Sequence[Row], title: str, console: Console | None = None) -> None:
    console = console or Console()
    table = Table(title=title, title_justify="left")
    for index, header in enumerate(HEADERS):
        table.add_column(header, justify="left" if index == 0 else "right", no_wrap=index != 0)
    style = {True: "green", False: "bold red", None: "dim"}
    for row in rows:
        *cells, verdict = _cells(row)
        table.add_row(*cells, f"[{style[row.passed]}]{verdict}[/]")
    console.print(table)
    for note in _notes(rows):
        console.print(f"  * {note}", highlight=False)


def render_markdown(rows: Sequence[Row]) -> str:
    lines = [
        "| " + " | ".join(HEADERS) + " |",
        "|" + "|".join(["---"] + ["---:"] * (len(HEADERS) - 1)) + "|",
    ]
    for row in rows:
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in _cells(row)) + " |")
    notes = _notes(rows)
    if notes:
        lines.append("")
        lines.extend(f"- {note}" for note in notes)
    return "\n".join(lines) + "\n"


MEASUREMENT_HEADERS = ("measurement", "value", "target", "pass/fail")


@dataclass(frozen=True)
class Measurement:
    """A figure that is not a gas ratio (speed, memory, latency), with its target when it has one."""

    name: str
    value: str
    target: str | None = None
    passed: bool | None = None
    note: str = ""


def _measurement_cells(row: Measurement) -> tuple[str, str, str, str]:
    verdict = {True: "pass", False: "FAIL", None: "info"}[row.passed]
    return row.name, row.value, row.target or "-", verdict


def render_measurements_console(rows: Sequence[Measurement], title: str, console: Console) -> None:
    table = Table(title=title, title_justify="left")
    for index, header in enumerate(MEASUREMENT_HEADERS):
        table.add_column(header, justify="left" if index == 0 else "right", no_wrap=index != 0)
    style = {True: "green", False: "bold red", None: "dim"}
    for row in rows:
        *cells, verdict = _measurement_cells(row)
        table.add_row(*cells, f"[{style[row.passed]}]{verdict}[/]")
    console.print(table)
    for row in rows:
        if row.note:
            console.print(f"  * {row.name}: {row.note}", highlight=False)


def render_measurements_markdown(rows: Sequence[Measurement]) -> str:
    lines = [
        "| " + " | ".join(MEASUREMENT_HEADERS) + " |",
        "|" + "|".join(["---"] + ["---:"] * (len(MEASUREMENT_HEADERS) - 1)) + "|",
    ]
    lines += ["| " + " | ".join(_measurement_cells(row)) + " |" for row in rows]
    notes = [f"- {row.name}: {row.note}" for row in rows if row.note]
    return "\n".join(lines + ([""] + notes if notes else [])) + "\n"
