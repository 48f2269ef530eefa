"""The alliance file's limits are the contracts': a route the file accepts, set_route accepts; a
name it accepts fits `String[64]`; a period it accepts, the token's constructor accepts."""

from pathlib import Path

import pytest
import yaml

from points.alliance import MAX_PERIOD, MAX_RATE_PART, MAX_ROUTE_CAP, load_alliance
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


TILL = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"


def _write_program(tmp_path: Path, **program: object) -> Path:
    path = tmp_path / "alliance.yaml"
    path.write_text(yaml.safe_dump({"programs": {"a": PROGRAM | program}}))
    return path


def test_names_of_64_bytes_go_on_chain(tmp_path):
    name = "é" * 32  # 32 characters, 64 bytes of UTF-8
    path = _write_program(tmp_path, merchants=[{"address": TILL, "cap": 10, "name": name}],
                          rewards=[{"merchant": TILL, "price": 5, "stock": 1, "name": name}])

    program = load_alliance(path).programs["a"]

    assert (program.merchants[0].name, program.rewards[0].name) == (name, name)


@pytest.mark.parametrize(("program", "message"), [
    ({"merchants": [{"address": TILL, "cap": 10, "name": "é" * 32 + "!"}]},
     r"programs\.a\.merchants\.0\.name: '.*' is 65 bytes of UTF-8; the chain keeps 64 at most"),
    ({"merchants": [{"address": TILL, "cap": 10}], "rewards": [{"merchant": TILL, "price": 5, "stock": 1,
                                                                "label": "Free espresso"}]},
     r"programs\.a\.rewards\.0: `label` is now `name` \(it goes on chain as the public label\)"),
    ({"merchants": [{"address": TILL, "cap": 10}, {"address": TILL.lower(), "cap": 20}]},
     rf"programs\.a: merchants\.1\.address {TILL} is already merchants\.0$"),
    ({"cap_period": MAX_PERIOD + 1}, r"programs\.a\.cap_period: Input should be less than or equal to"),
    ({"epoch_length": MAX_PERIOD + 1}, r"programs\.a\.epoch_length: Input should be less than or equal to"),
])
def test_what_the_chain_would_refuse_names_the_field(tmp_path, program, message):
    with pytest.raises(PointsError, match=message):
        load_alliance(_write_program(tmp_path, **program))
