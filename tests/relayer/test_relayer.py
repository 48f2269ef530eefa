"""The relayer end to end, over real HTTP against a real Anvil: customers without ETH redeem and
exchange; every request the chain would refuse is a 4xx and sends nothing; the merchant's limits."""

import pytest

from points.signing import SignedRedemption
from tests.relayer.conftest import (
    AIRPORT,
    BEANS,
    BREAKFAST,
    COFFEE_NAME,
    DOWNTOWN,
    ESPRESSO,
    ESPRESSO_PRICE,
    HOUR,
    OWNER,
    Alliance,
)
from tests.support.relayer import Relayer, running_relayer
from tests.support.services import ape_run

DOWNTOWN_KEY = "59c6995e998f97a5a0044966f0945389dc9c86dae88c7a8412f4603b6b78690d"


@pytest.fixture(scope="module")
def relayer(alliance: Alliance, tmp_path_factory):
    database = tmp_path_factory.mktemp("relayer") / "queue.db"
    with running_relayer(alliance.node, alliance.manifest_file, database,
                         POINTS_RELAYER_CORS_ORIGINS='["http://127.0.0.1:8000"]') as relayer:
        yield relayer


def test_a_customer_without_eth_redeems_and_it_is_confirmed(alliance: Alliance, relayer: Relayer):
    customer = alliance.customer()
    body = customer.redemption(alliance.coffee, COFFEE_NAME, ESPRESSO, 2, 2 * ESPRESSO_PRICE,
                               alliance.chain_time() + HOUR)
    accepted = relayer.post("/v1/redemptions", body)
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["status"] == "queued"
    request_id = accepted.json()["id"]
    mined = relayer.wait_for("redemptions", request_id, "mined", "confirmed")
    assert mined["tx_hash"] and mined["block_number"] and mined["reason"] is None
    alliance.node.chain.mine()
    relayer.wait_for("redemptions", request_id, "confirmed")
    assert alliance.node.read(alliance.coffee, "balanceOf(address)", customer.address) == 5_000 - 2 * ESPRESSO_PRICE
    assert int(alliance.node.chain.request("eth_getBalance", customer.address, "latest"), 16) == 0
    receipt = alliance.node.chain.request("eth_getTransactionReceipt", mined["tx_hash"])
    assert receipt["from"].lower() == DOWNTOWN.lower()
    assert alliance.redeemed_events(customer.address) == 1


def test_a_customer_without_eth_exchanges(alliance: Alliance, relayer: Relayer):
    customer = alliance.customer(1_000)
    # The allowance comes from the customer's permit, which anyone may put on chain (here the owner).
    customer.permit_by(OWNER, alliance.coffee, COFFEE_NAME, alliance.exchange, 1_000, alliance.chain_time() + HOUR)
    body = customer.exchange(alliance.exchange, alliance.coffee, alliance.airline, 105, 10,
                             alliance.chain_time() + HOUR)
    accepted = relayer.post("/v1/exchanges", body)
    assert accepted.status_code == 202, accepted.text
    mined = relayer.wait_for("exchanges", accepted.json()["id"], "mined", "confirmed")
    assert mined["tx_hash"]
    assert alliance.node.read(alliance.airline, "balanceOf(address)", customer.address) == 10
    assert alliance.node.read(alliance.coffee, "balanceOf(address)", customer.address) == 1_000 - 100
    assert int(alliance.node.chain.request("eth_getBalance", customer.address, "latest"), 16) == 0
    # An exchange's id is not a redemption's.
    assert relayer.client.get(f"/v1/redemptions/{accepted.json()['id']}").status_code == 404


def _refused(relayer: Relayer, alliance: Alliance, path: str, body: dict, status: int, words: str) -> None:
    before = alliance.relayer_nonce()
    response = relayer.post(path, body)
    assert response.status_code == status, response.text
    assert words in response.json()["detail"], response.json()
    assert alliance.relayer_nonce() == before


def test_what_the_chain_would_refuse_is_a_4xx_and_sends_nothing(alliance: Alliance, relayer: Relayer):
    customer = alliance.customer(500)
    deadline = alliance.chain_time() + HOUR
    good = customer.redemption(alliance.coffee, COFFEE_NAME, ESPRESSO, 1, ESPRESSO_PRICE, deadline)
    _refused(relayer, alliance, "/v1/redemptions", good | {"quantity": 2}, 422, "is not")
    _refused(relayer, alliance, "/v1/redemptions", good | {"max_points": 1_000}, 422, "is not")
    _refused(relayer, alliance, "/v1/redemptions",
             customer.redemption(alliance.coffee, COFFEE_NAME, ESPRESSO, 1, ESPRESSO_PRICE, deadline, chain_id=1),
             422, "on chain 31337")
    _refused(relayer, alliance, "/v1/redemptions",
             customer.redemption(alliance.coffee, COFFEE_NAME, ESPRESSO, 1, ESPRESSO_PRICE,
                                 alliance.chain_time() - 1), 422, "expired")
    _refused(relayer, alliance, "/v1/redemptions",
             customer.redemption(alliance.coffee, COFFEE_NAME, BEANS, 1, 900, deadline), 403, AIRPORT)
    _refused(relayer, alliance, "/v1/redemptions",
             customer.redemption(alliance.coffee, COFFEE_NAME, BREAKFAST, 2, 600, deadline), 422, "holds 500")
    _refused(relayer, alliance, "/v1/redemptions",
             customer.redemption(alliance.coffee, COFFEE_NAME, 99, 1, 600, deadline), 422, "does not exist")
    _refused(relayer, alliance, "/v1/redemptions",
             customer.redemption(alliance.coffee, COFFEE_NAME, ESPRESSO, 1, ESPRESSO_PRICE - 1, deadline),
             422, "more than max_points")
    _refused(relayer, alliance, "/v1/redemptions",
             customer.redemption(alliance.coffee, COFFEE_NAME, ESPRESSO, 1, ESPRESSO_PRICE,
                                 alliance.chain_time() + 30 * 86_400), 422, "more than 86400 s away")
    _refused(relayer, alliance, "/v1/redemptions",
             customer.redemption(alliance.coffee, COFFEE_NAME, ESPRESSO, 1, ESPRESSO_PRICE, deadline,
                                 nonce=customer.nonce(alliance.coffee) + 1), 422, "is not")
    _refused(relayer, alliance, "/v1/exchanges",
             customer.exchange(alliance.exchange, alliance.coffee, alliance.airline, 100, 10, deadline),
             422, "allows the exchange to spend 0")

    accepted = relayer.post("/v1/redemptions", good)
    assert accepted.status_code == 202, accepted.text
    # A replay: while it is queued, then once the chain has used its nonce.
    replay = relayer.post("/v1/redemptions", good)
    assert replay.status_code in (409, 422), replay.text
    relayer.wait_for("redemptions", accepted.json()["id"], "mined", "confirmed")
    _refused(relayer, alliance, "/v1/redemptions", good, 422, "nonce")
    assert alliance.redeemed_events(customer.address) == 1


def test_malformed_requests_get_one_line(relayer: Relayer, alliance: Alliance):
    customer = alliance.customer(0)
    body = customer.redemption(alliance.coffee, COFFEE_NAME, ESPRESSO, 1, 120, alliance.chain_time() + HOUR)
    cases = [
        (body | {"holder": "0x1234"}, 422, "holder:"),
        (body | {"signature": "0xzz"}, 422, "signature:"),
        (body | {"quantity": 0}, 422, "quantity:"),
        (body | {"deadline": 2**256}, 422, "deadline:"),
        (body | {"extra": 1}, 422, "extra:"),
        (body | {"token": alliance.manifest.exchange.address}, 422, "not a program"),
    ]
    for sent, status, words in cases:
        response = relayer.post("/v1/redemptions", sent)
        assert response.status_code == status, response.text
        assert isinstance(response.json()["detail"], str) and words in response.json()["detail"], response.json()
    assert relayer.client.post("/v1/redemptions", content=b"{not json",
                               headers={"content-type": "application/json"}).status_code == 422
    too_large = relayer.client.post("/v1/redemptions", content=b"x" * 20_000,
                                    headers={"content-type": "application/json"})
    assert too_large.status_code == 413 and "bytes" in too_large.json()["detail"]
    assert relayer.client.get("/v1/redemptions/nope").status_code == 404
    assert relayer.client.get("/v1/exchanges/" + "f" * 200).status_code == 404


def test_health_and_cors(relayer: Relayer):
    health = relayer.client.get("/v1/health").json()
    assert health["address"] == DOWNTOWN and health["status"] == "ok" and int(health["balance"]) > 0
    assert health["chain_id"] == 31337 and health["queue_depth"] >= 0
    preflight = relayer.client.options("/v1/redemptions", headers={
        "Origin": "http://127.0.0.1:8000", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "http://127.0.0.1:8000"
    foreign = relayer.client.options("/v1/redemptions", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in foreign.headers


def test_the_key_never_appears_in_the_log(relayer: Relayer):
    assert DOWNTOWN_KEY not in relayer.output().lower()


def test_policy_limits(alliance: Alliance, tmp_path):
    """Per-minute and pending limits, and a balance below the minimum: 429 and 503, nothing sent."""
    with running_relayer(alliance.node, alliance.manifest_file, tmp_path / "policy.db", "--no-worker",
                         POINTS_RELAYER_REQUESTS_PER_MINUTE="3", POINTS_RELAYER_PENDING_PER_HOLDER="1") as relayer:
        first, second = alliance.customer(), alliance.customer()
        deadline = alliance.chain_time() + HOUR
        assert relayer.post("/v1/redemptions", first.redemption(
            alliance.coffee, COFFEE_NAME, ESPRESSO, 1, ESPRESSO_PRICE, deadline)).status_code == 202
        # The worker is off: the first stays pending, and the holder may have one.
        _refused(relayer, alliance, "/v1/redemptions", first.redemption(
            alliance.coffee, COFFEE_NAME, ESPRESSO, 1, ESPRESSO_PRICE, deadline, nonce=1), 429, "waiting to be mined")
        assert relayer.post("/v1/redemptions", second.redemption(
            alliance.coffee, COFFEE_NAME, ESPRESSO, 1, ESPRESSO_PRICE, deadline)).status_code == 202
        _refused(relayer, alliance, "/v1/redemptions", second.redemption(
            alliance.coffee, COFFEE_NAME, ESPRESSO, 1, ESPRESSO_PRICE, deadline), 429, "requests a minute")
    poor = alliance.customer()
    with running_relayer(alliance.node, alliance.manifest_file, tmp_path / "poor.db",
                         POINTS_RELAYER_MIN_BALANCE_WEI=str(10**30)) as relayer:
        assert relayer.client.get("/v1/health").json()["status"] == "low_balance"
        _refused(relayer, alliance, "/v1/redemptions", poor.redemption(
            alliance.coffee, COFFEE_NAME, ESPRESSO, 1, ESPRESSO_PRICE, alliance.chain_time() + HOUR),
                 503, "below its minimum")


def test_relay_redeem_posts_to_the_relayer(alliance: Alliance, relayer: Relayer, tmp_path):
    customer = alliance.customer()
    body = customer.redemption(alliance.coffee, COFFEE_NAME, BREAKFAST, 1, 300, alliance.chain_time() + HOUR)
    signed = SignedRedemption(chain_id=alliance.manifest.chain_id, nonce=0, **body)
    signed_file = tmp_path / "signed.json"
    signed_file.write_text(signed.to_json())
    outcome = ape_run(alliance.node, "relay-redeem", "--manifest", str(alliance.manifest_file), "--file",
                      str(signed_file), "--relayer", relayer.url)
    assert outcome.code == 0, outcome.output
    assert "the relayer queued it as" in outcome.output
    assert alliance.redeemed_events(customer.address) == 1
    replayed = ape_run(alliance.node, "relay-redeem", "--manifest", str(alliance.manifest_file), "--file",
                       str(signed_file), "--relayer", relayer.url)
    assert replayed.code != 0 and "the relayer refused it (422)" in replayed.error
