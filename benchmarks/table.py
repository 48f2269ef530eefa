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


_STYLE = {True: "green", False: "bold red", None: "dim"}


def _print_table(title: str, headers: Sequence[str], lines: Sequence[tuple[Sequence[str], bool | None]],
                 notes: Sequence[str], console: Console) -> None:
    """Prints any of the benchmark's tables: cells per line, the last being the verdict."""
    table = Table(title=title, title_justify="left")
    for index, header in enumerate(headers):
        table.add_column(header, justify="left" if index == 0 else "right", no_wrap=index != 0)
    for (*cells, verdict), passed in lines:
        table.add_row(*cells, f"[{_STYLE[passed]}]{verdict}[/]")
    console.print(table)
    for note in notes:
        console.print(f"  * {note}", highlight=False)


def _markdown_table(headers: Sequence[str], lines: Sequence[Sequence[str]], notes: Sequence[str]) -> str:
    text = [
        "| " + " | ".join(headers) + " |",
        "|" + "|".join(["---"] + ["---:"] * (len(headers) - 1)) + "|",
    ]
    text += ["| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |" for cells in lines]
    if notes:
        text += ["", *(f"- {note}" for note in notes)]
    return "\n".join(text) + "\n"


def render_console(rows: Sequence[Row], title: str, console: Console | None = None) -> None:
    _print_table(title, HEADERS, [(_cells(row), row.passed) for row in rows], _notes(rows), console or Console())


def render_markdown(rows: Sequence[Row]) -> str:
    return _markdown_table(HEADERS, [_cells(row) for row in rows], _notes(rows))


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


def _measurement_notes(rows: Sequence[Measurement]) -> list[str]:
    return [f"{row.name}: {row.note}" for row in rows if row.note]


def render_measurements_console(rows: Sequence[Measurement], title: str, console: Console) -> None:
    _print_table(title, MEASUREMENT_HEADERS, [(_measurement_cells(row), row.passed) for row in rows],
                 _measurement_notes(rows), console)


def render_measurements_markdown(rows: Sequence[Measurement]) -> str:
    return _markdown_table(MEASUREMENT_HEADERS, [_measurement_cells(row) for row in rows], _measurement_notes(rows))
