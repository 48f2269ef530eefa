"""Errors that users can act on: scripts print them as one line instead of a traceback."""

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pydantic costs 45 ms of imports, and the indexer's log reader needs only PointsError
    from pydantic import ValidationError


class PointsError(Exception):
    """A problem with the user's input or environment, with a message that says what to fix."""


def invalid_file(path: Path, error: "ValidationError") -> PointsError:
    """One line naming the file, the first bad field and what is wrong with it."""
    problem = error.errors()[0]
    where = ".".join(str(part) for part in problem["loc"]) or "(top level)"
    message = problem["msg"].removeprefix("Value error, ")
    return PointsError(f"{path}: {where}: {message}")
