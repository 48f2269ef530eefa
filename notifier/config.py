"""Webhook subscriptions: from the YAML file (`config/webhooks.yaml` shape, see the README) and from
the database (`python -m notifier webhooks add`).

A subscription's secret is given in the file (`secret`) or, better, named by an environment
variable (`secret_env`) read when the file is loaded. Secrets never appear in a log line, an error
or the API's answers. Only http and https URLs are accepted.
"""

import os
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import orjson
import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from sqlalchemy import Connection, Engine, select

from database.schema import WebhookSubscription, table_of
from points.addresses import checksummed
from points.errors import PointsError, invalid_file
from points.webhooks import EventType

SUBSCRIPTIONS = table_of(WebhookSubscription)
MIN_SECRET_LENGTH = 16
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"

Address = Annotated[str, AfterValidator(checksummed)]


def _http_url(value: str) -> str:
    scheme, separator, rest = value.partition("://")
    if not separator or scheme.lower() not in ("http", "https") or not rest.split("/")[0]:
        raise ValueError(f"{value!r} is not an http(s) URL: only http:// and https:// receivers are accepted")
    try:
        urlsplit(value).port  # noqa: B018  (reading it is the check: it raises on a bad port)
    except ValueError:
        raise ValueError(f"{value!r} has no valid port: write it as a number from 0 to 65535, "
                         "or leave it out") from None
    return value


class _Settings(BaseModel):
    """What a subscription says besides its name and secret."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: Annotated[str, AfterValidator(_http_url)]
    types: tuple[EventType, ...] = Field(default=tuple(EventType), min_length=1,
                                         description="the event types to send; all by default")
    programs: tuple[Address, ...] = Field(default=(), description="token addresses; every program when empty")
    lead_days: int = Field(default=7, ge=1, le=365, description="points.expiring: days ahead of the expiry")
    confirmations: int = Field(default=2, ge=0, le=256, description="blocks an event's block must be deep")
    max_attempts: int = Field(default=10, ge=1, le=100, description="attempts before a delivery is dead")
    timeout_seconds: float = Field(default=5.0, gt=0, le=30, description="bound on each phase of a request")
    from_block: int | None = Field(default=None, ge=0, description="first block whose events are sent; by "
                                                                    "default the blocks after those confirmed "
                                                                    "when the subscription is first seen")


class Subscription(_Settings):
    name: str = Field(pattern=NAME_PATTERN)
    secret: str = Field(repr=False, min_length=MIN_SECRET_LENGTH)
    source: Literal["file", "database"]

    def wants(self, event_type: str, program: str | None) -> bool:
        return event_type in self.types and (not self.programs or program in self.programs)


class _FileEntry(_Settings):
    secret: str | None = Field(default=None, repr=False, min_length=MIN_SECRET_LENGTH)
    secret_env: str | None = None

    @model_validator(mode="after")
    def _one_secret(self) -> "_FileEntry":
        if (self.secret is None) == (self.secret_env is None):
            raise ValueError("give exactly one of `secret` and `secret_env` (the name of an environment variable)")
        return self


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subscriptions: dict[Annotated[str, Field(pattern=NAME_PATTERN)], _FileEntry] = Field(default_factory=dict)

    @field_validator("subscriptions", mode="before")
    @classmethod
    def _none_is_empty(cls, value: Any) -> Any:
        return {} if value is None else value


def load_file(path: Path) -> list[Subscription]:
    """The file's subscriptions, secrets resolved; none when there is no file."""
    if not path.exists():
        return []
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        raise PointsError(f"{path} is not valid YAML: {error}") from None
    try:
        entries = _File.model_validate(raw or {}).subscriptions
    except ValidationError as error:
        raise invalid_file(path, error) from None
    subscriptions = []
    for name, entry in entries.items():
        secret = entry.secret
        if entry.secret_env is not None:
            secret = os.environ.get(entry.secret_env)
            if not secret:
                raise PointsError(f"{path}: subscriptions.{name}.secret_env: the environment variable "
                                  f"{entry.secret_env} is not set")
            if len(secret) < MIN_SECRET_LENGTH:
                raise PointsError(f"{path}: subscriptions.{name}.secret_env: the secret in {entry.secret_env} is "
                                  f"shorter than {MIN_SECRET_LENGTH} characters")
        assert secret is not None  # `_one_secret` requires one of them
        settings = entry.model_dump(exclude={"secret", "secret_env"})
        subscriptions.append(Subscription(name=name, secret=secret, source="file", **settings))
    return subscriptions


def load_database(connection: Connection) -> list[Subscription]:
    rows = connection.execute(select(SUBSCRIPTIONS).order_by(SUBSCRIPTIONS.c.name)).mappings()
    return [Subscription(**{**row, "types": orjson.loads(row["types"]), "programs": orjson.loads(row["programs"])},
                         source="database") for row in rows]


def database_row(subscription: Subscription) -> dict[str, Any]:
    row = subscription.model_dump(exclude={"source"})
    row["types"] = orjson.dumps(list(subscription.types)).decode()
    row["programs"] = orjson.dumps(list(subscription.programs)).decode()
    return row


def merged(from_file: list[Subscription], from_database: list[Subscription], path: Path) -> list[Subscription]:
    """Both sources' subscriptions; a name in both is an error, since either could be meant."""
    names = {subscription.name for subscription in from_file}
    for subscription in from_database:
        if subscription.name in names:
            raise PointsError(f"subscription {subscription.name!r} is both in {path} and in the database: "
                              "rename or remove one")
    return [*from_file, *from_database]


def load_subscriptions(engine: Engine, path: Path) -> list[Subscription]:
    """The file's and the database's subscriptions."""
    from_file = load_file(path)
    with engine.begin() as connection:
        return merged(from_file, load_database(connection), path)
