"""The alliance file's route limits are the exchange's: a route the file accepts, set_route accepts."""

from pathlib import Path

import pytest
import yaml

from points.alliance import MAX_RATE_PART, MAX_ROUTE_CAP, load_alliance
from points.errors import PointsError

PROGRAM = {"name": "Program", "symbol": "P", "epoch_length": 1_000, "validity": 6, "cap_period": 3_000}


def _write(tmp_path: Path, **route: int) -> Path:
    path = tmp_path / "alliance.yaml"
    terms = {"rate_num": 1, "rate_den": 1, "cap": 1} | route
    alliance = {"programs": {"a": PROGRAM, "b": PROGRAM}, "routes": [{"from": "a", "to": "b", **terms}]}
    path.write_text(yaml.safe_dump(alliance))
    return path


def test_limits_are_the_exchanges():
    assert MAX_RATE_PART == 2**32 - 1
    assert MAX_ROUTE_CAP == 2**63 - 1


def test_route_at_the_largest_terms_is_accepted(tmp_path):
    path = _write(tmp_path, rate_num=MAX_RATE_PART, rate_den=MAX_RATE_PART, cap=MAX_ROUTE_CAP)

    [route] = load_alliance(path).routes
    assert (route.rate_num, route.rate_den, route.cap) == (MAX_RATE_PART, MAX_RATE_PART, MAX_ROUTE_CAP)


@pytest.mark.parametrize(
    "field, value", [("rate_num", MAX_RATE_PART + 1), ("rate_den", MAX_RATE_PART + 1), ("cap", MAX_ROUTE_CAP + 1)]
)
def test_route_beyond_the_exchanges_limits_names_the_field(tmp_path, field, value):
    with pytest.raises(PointsError, match=f"routes.0.{field}"):
        load_alliance(_write(tmp_path, **{field: value}))
