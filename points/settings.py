"""Every setting of the platform in one place.

Flags override these; when a flag is absent the environment (`POINTS_*`) is read, then the
defaults below, which describe the local chain that `make run` brings up.
"""

from pathlib import Path
from typing import Any

from pydantic import AnyHttpUrl, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "data"
DEPLOYMENTS_DIR = REPO_ROOT / "deployments"
LOCAL_MANIFEST = DEPLOYMENTS_DIR / "ethereum-local.json"
LOCAL_DATABASE = DATA_DIR / "points.db"
WEBHOOKS_FILE = REPO_ROOT / "config" / "webhooks.yaml"
LOCAL_RELAYER_DATABASE = DATA_DIR / "relayer.db"
GWEI = 10**9
ETHER = 10**18


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="POINTS_", extra="ignore")

    manifest: Path = Field(default=LOCAL_MANIFEST, description="the deployment manifest to read")
    database_url: str = Field(
        default=f"sqlite:///{LOCAL_DATABASE.relative_to(REPO_ROOT)}",
        description="SQLAlchemy URL of the indexer's database",
    )
    rpc_url: str = Field(default="http://127.0.0.1:8545", description="JSON-RPC endpoint of the chain")
    rpc_attempts: int = Field(default=8, ge=1, description="tries of one JSON-RPC request before the indexer gives up")
    rpc_max_backoff: float = Field(
        default=10.0, gt=0, description="the longest pause in seconds between two tries; pauses double up to it")
    confirmations: int = Field(default=0, ge=0, description="the indexer indexes only blocks this deep")
    webhooks: bool = Field(
        default=True, description="the indexer writes each batch's webhook events to the outbox")
    webhook_low_stock: int = Field(
        default=5, ge=0, description="a redemption leaving a reward's stock at or below this sends reward.low_stock")
    webhooks_file: Path = Field(default=WEBHOOKS_FILE, description="the notifier's subscriptions file")
    notifier_poll_seconds: float = Field(
        default=0.25, gt=0, description="how often the notifier looks for new events when idle")
    webhook_concurrency: int = Field(
        default=16, ge=1, le=256, description="requests in flight at once per subscription")
    webhook_max_backoff: float = Field(
        default=600.0, gt=0, description="the longest pause in seconds between two attempts of a delivery")
    api_host: str = Field(default="127.0.0.1", description="where the read API listens")
    api_port: int = Field(default=8000, description="the read API's port")
    api_workers: int = Field(default=1, ge=1, description="uvicorn worker processes serving the read API")
    api_cors_origins: list[str] = Field(
        default=[], description='browser origins allowed to call the API, as JSON: ["https://dash.example"]')
    relayer_url: AnyHttpUrl | None = Field(
        default=None, description="the relayer (`python -m relayer`) that the dashboard's member app sends signed "
                                  "redemptions and exchanges to; none: customers send their own transactions")
    anvil_port: int = Field(default=8545, description="the port of `make run`'s local Anvil")
    demo_size: int = Field(default=40, ge=1, description="customers per program in `make run`'s demo")

    # The relayer (`python -m relayer`, docs/operations.md#running-the-relayer).
    relayer_host: str = Field(default="127.0.0.1", description="where the relayer listens")
    relayer_port: int = Field(default=8100, description="the relayer's port")
    relayer_account: str | None = Field(
        default=None, description="the key that pays: an `ape accounts` alias, or TEST::N on a local chain")
    relayer_database_url: str = Field(
        default=f"sqlite:///{LOCAL_RELAYER_DATABASE.relative_to(REPO_ROOT)}",
        description="SQLAlchemy URL of the relayer's queue (its own database, not the indexer's)")
    relayer_merchants: list[str] = Field(
        default=[], description="merchants whose rewards it relays, as JSON [\"0x...\"]; [] means its own address")
    relayer_worker: bool = Field(default=True, description="send queued requests from this process")
    relayer_confirmations: int = Field(default=2, ge=0, description="blocks on top of a mined one before `confirmed`")
    relayer_max_deadline_seconds: int = Field(
        default=86_400, ge=60, description="the furthest a request's deadline may be from the chain's time")
    relayer_min_deadline_seconds: int = Field(
        default=30, ge=0, description="the least time a request's deadline must leave for it to be mined")
    relayer_requests_per_minute: int = Field(
        default=30, ge=1, description="requests accepted per minute from one holder, and from one client address")
    relayer_pending_per_holder: int = Field(
        default=4, ge=1, description="requests of one holder accepted but not yet mined")
    relayer_pending_per_client: int = Field(
        default=200, ge=1, description="requests from one client address accepted but not yet mined")
    relayer_daily_budget_wei: int = Field(
        default=ETHER, ge=0, description="gas the relayer may spend per UTC day, in wei")
    relayer_min_balance_wei: int = Field(
        default=ETHER // 100, ge=0, description="below this balance the relayer refuses new requests")
    relayer_max_fee_wei: int = Field(default=200 * GWEI, gt=0, description="the highest max fee per gas it pays")
    relayer_priority_fee_wei: int = Field(
        default=GWEI, ge=0, description="the tip per gas of a first attempt (the node's suggestion if higher)")
    relayer_resend_seconds: float = Field(
        default=30.0, gt=0, description="a transaction not mined after this long is re-sent with a higher fee")
    relayer_poll_seconds: float = Field(default=0.2, gt=0, description="how often the worker looks at the chain")
    relayer_cors_origins: list[str] = Field(
        default=[], description='browser origins allowed to call the relayer, as JSON: ["https://app.example"]')
    relayer_max_body_bytes: int = Field(default=16_384, ge=1024, description="the largest request body accepted")


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment, with explicit values (from flags) taking precedence."""
    return Settings(**{key: value for key, value in overrides.items() if value is not None})
