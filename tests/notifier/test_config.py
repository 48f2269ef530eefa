"""The subscriptions file: what it accepts, and one clear line for what it does not."""

from pathlib import Path

import pytest

from notifier.config import Subscription, load_file, merged
from points.errors import PointsError
from points.webhooks import EventType

TOKEN = "0x5FbDB2315678afecb367f032d93F642f64180aa3"


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "webhooks.yaml"
    path.write_text(text)
    return path


def test_a_full_file_is_read_with_its_secret_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("CRM_SECRET", "a-long-enough-secret")
    path = _file(tmp_path, f"""
subscriptions:
  crm:
    url: https://crm.example/hooks?source=points
    secret_env: CRM_SECRET
    types: [points.expiring, reward.low_stock]
    programs: ["{TOKEN.lower()}"]
    lead_days: 14
    confirmations: 12
    max_attempts: 5
    timeout_seconds: 2.5
  mail:
    url: http://127.0.0.1:9000/
    secret: another-long-secret
""")
    crm, mail = load_file(path)
    assert crm.secret == "a-long-enough-secret" and crm.programs == (TOKEN,)
    assert crm.types == (EventType.EXPIRING, EventType.LOW_STOCK) and crm.lead_days == 14
    assert (mail.types, mail.confirmations, mail.lead_days, mail.max_attempts) == (tuple(EventType), 2, 7, 10)
    assert "a-long-enough-secret" not in repr(crm)
    assert crm.wants("points.expiring", TOKEN) and not crm.wants("points.issued", TOKEN)
    assert not crm.wants("points.expiring", "0x" + "ab" * 20)


def test_no_file_means_no_subscriptions(tmp_path):
    assert load_file(tmp_path / "absent.yaml") == []


@pytest.mark.parametrize(("entry", "message"), [
    ("url: ftp://crm.example/\n    secret: a-long-enough-secret", "is not an http(s) URL"),
    ("url: file:///etc/passwd\n    secret: a-long-enough-secret", "is not an http(s) URL"),
    ("url: javascript:alert(1)\n    secret: a-long-enough-secret", "is not an http(s) URL"),
    ("url: http://crm.example:x/\n    secret: a-long-enough-secret", "has no valid port"),
    ("url: http://crm.example:70000/\n    secret: a-long-enough-secret", "has no valid port"),
    ("url: https://crm.example/\n    secret: short", "at least 16 characters"),
    ("url: https://crm.example/", "exactly one of `secret` and `secret_env`"),
    ("url: https://crm.example/\n    secret: a-long-enough-secret\n    secret_env: X", "exactly one of"),
    ("url: https://crm.example/\n    secret: a-long-enough-secret\n    types: [points.moved]", "types.0"),
    ("url: https://crm.example/\n    secret: a-long-enough-secret\n    lead_days: 400", "less than or equal to 365"),
    ("url: https://crm.example/\n    secret: a-long-enough-secret\n    timeout_seconds: 120", "less than or equal"),
    ("url: https://crm.example/\n    secret: a-long-enough-secret\n    programs: [0x12]", "programs.0"),
    ("url: https://crm.example/\n    secret: a-long-enough-secret\n    colour: red", "colour"),
])
def test_a_bad_entry_is_one_line_naming_the_field(tmp_path, entry, message):
    path = _file(tmp_path, f"subscriptions:\n  crm:\n    {entry}\n")
    with pytest.raises(PointsError) as raised:
        load_file(path)
    assert message in str(raised.value) and str(raised.value).startswith(f"{path}: subscriptions.crm")
    assert "\n" not in str(raised.value) and "a-long-enough-secret" not in str(raised.value)


def test_an_unset_secret_variable_and_bad_yaml_are_named(tmp_path, monkeypatch):
    monkeypatch.delenv("UNSET_SECRET", raising=False)
    with pytest.raises(PointsError, match="the environment variable UNSET_SECRET is not set"):
        load_file(_file(tmp_path, "subscriptions:\n  crm:\n    url: https://a.example/\n"
                                  "    secret_env: UNSET_SECRET\n"))
    with pytest.raises(PointsError, match="is not valid YAML"):
        load_file(_file(tmp_path, "subscriptions: [\n"))


def test_a_name_in_the_file_and_the_database_is_refused(tmp_path):
    one = Subscription(name="crm", url="https://a.example/", secret="a-long-enough-secret", source="file")
    other = one.model_copy(update={"source": "database"})
    with pytest.raises(PointsError, match="'crm' is both in"):
        merged([one], [other], tmp_path / "webhooks.yaml")
