"""The relayer's parts without a chain: fees, the node's refusals, rate limits, keys, the queue's
nonce sequence and duplicate claims."""

import json
import threading
import time

import pytest
from eth_account import Account
from eth_utils import to_checksum_address
from hypothesis import given, settings
from hypothesis import strategies as st

from chain.rpc import RpcError
from chain.transactions import Refusal, refusal, revert_reason
from points.errors import PointsError
from relayer.fees import Fees, bumped, first_fees
from relayer.keys import TEST_MNEMONIC, check_key_fits_chain, load_key
from relayer.models import Status
from relayer.policy import RateLimiter
from relayer.store import Duplicate, Signed, Store
from tests.support.postgres import database_url

GWEI = 10**9


@settings(max_examples=200, deadline=None)
@given(max_fee=st.integers(0, 10**12), tip=st.integers(0, 10**11), base=st.integers(0, 10**12),
       suggested=st.integers(0, 10**11), cap=st.integers(1, 10**13))
def test_a_replacement_pays_at_least_an_eighth_more_and_never_over_the_cap(max_fee, tip, base, suggested, cap):
    previous = Fees(min(max_fee, cap), min(tip, max_fee, cap))
    current = first_fees(base, suggested, GWEI, cap)
    assert current.max_fee <= cap and current.priority_fee <= current.max_fee
    replacement = bumped(previous, current, cap)
    if replacement is None:
        assert previous.max_fee * 9 > cap * 8 or previous.priority_fee * 9 > cap * 8 or cap < 2
        return
    assert replacement.max_fee <= cap and replacement.priority_fee <= replacement.max_fee
    assert replacement.max_fee * 8 >= previous.max_fee * 9 and replacement.priority_fee * 8 >= previous.priority_fee * 9
    assert replacement.max_fee > previous.max_fee


@pytest.mark.parametrize(("message", "kind"), [
    ("transaction already imported", Refusal.ALREADY_KNOWN),
    ("already known", Refusal.ALREADY_KNOWN),
    ("nonce too low", Refusal.NONCE_TOO_LOW),
    ("nonce too low: next nonce 5, tx nonce 3", Refusal.NONCE_TOO_LOW),
    ("replacement transaction underpriced", Refusal.UNDERPRICED),
    ("max fee per gas less than block base fee", Refusal.FEE_BELOW_BASE_FEE),
    ("insufficient funds for gas * price + value", Refusal.INSUFFICIENT_FUNDS),
    ("Insufficient funds for gas * price + value", Refusal.INSUFFICIENT_FUNDS),
    ("intrinsic gas too low", Refusal.OTHER),
])
def test_the_nodes_refusals_are_told_apart(message, kind):
    assert refusal(RpcError("eth_sendRawTransaction", {"code": -32000, "message": message})) is kind


def test_revert_reasons_lose_the_prefix():
    assert revert_reason(RpcError("eth_call", {"message": "execution reverted: PointsToken: x"})) == "PointsToken: x"
    assert revert_reason(RpcError("eth_call", {"message": "execution reverted"})) == "reverted without a reason"


def test_the_rate_limiter_counts_a_sliding_minute_per_key():
    limiter = RateLimiter(2)
    assert limiter.allow("a", 0.0) and limiter.allow("a", 1.0) and not limiter.allow("a", 2.0)
    assert limiter.allow("b", 2.0)
    assert limiter.allow("a", 60.5) and not limiter.allow("a", 60.6)


def test_an_ape_alias_is_unlocked_from_the_environment_and_never_shown(tmp_path, monkeypatch):
    account = Account.create()
    (tmp_path / "accounts").mkdir()
    keystore = Account.encrypt(account.key, "s3cret", iterations=2)
    (tmp_path / "accounts" / "till.json").write_text(json.dumps(keystore))
    monkeypatch.setenv("APE_DATA_FOLDER", str(tmp_path))
    with pytest.raises(PointsError, match="set APE_ACCOUNTS_till_PASSPHRASE"):
        load_key("till")
    monkeypatch.setenv("APE_ACCOUNTS_till_PASSPHRASE", "wrong")
    with pytest.raises(PointsError, match="does not unlock") as refused:
        load_key("till")
    assert account.key.hex() not in str(refused.value)
    monkeypatch.setenv("APE_ACCOUNTS_till_PASSPHRASE", "s3cret")
    key = load_key("till")
    assert key.address == account.address and not key.is_test_account
    assert account.key.hex() not in repr(key) and account.key.hex() not in str(key)
    with pytest.raises(PointsError, match="no `ape accounts` alias 'other'"):
        load_key("other")


@settings(max_examples=60, deadline=None)
@given(chain_id=st.integers(1, 2**64), nonce=st.integers(0, 2**64 - 1), to=st.binary(min_size=20, max_size=20),
       value=st.integers(0, 2**96), data=st.binary(max_size=300), gas=st.integers(21_000, 30_000_000),
       max_fee=st.integers(0, 10**13), tip=st.integers(0, 10**12))
def test_transactions_are_signed_as_eth_account_signs_them(chain_id, nonce, to, value, data, gas, max_fee, tip):
    transaction = {"type": 2, "chainId": chain_id, "nonce": nonce, "to": to_checksum_address(to), "value": value,
                   "data": "0x" + data.hex(), "gas": gas, "maxFeePerGas": max_fee, "maxPriorityFeePerGas": tip}
    Account.enable_unaudited_hdwallet_features()
    expected = Account.from_mnemonic(TEST_MNEMONIC, account_path="m/44'/60'/0'/0/1").sign_transaction(transaction)

    assert load_key("TEST::1").sign_transaction(transaction) == ("0x" + expected.raw_transaction.hex(),
                                                                 "0x" + expected.hash.hex())


def test_a_development_key_pays_only_on_a_development_chain():
    key = load_key("TEST::1")
    assert key.address == "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
    check_key_fits_chain(key, "anvil/v1.7.1")
    with pytest.raises(PointsError, match="whose key everyone knows"):
        check_key_fits_chain(key, "Geth/v1.14.0-stable/linux-amd64/go1.22")
    with pytest.raises(PointsError, match="TEST::0 to TEST::9"):
        load_key("TEST::10")


def _row(request_id: str, signer: str = "0x" + "11" * 20, nonce: int = 0) -> dict:
    now = time.time()
    return {"id": request_id, "kind": "redemption", "contract": "0x" + "22" * 20, "signer": signer,
            "signer_nonce": nonce, "claim": f"c:{signer}:{nonce}", "calldata": "0x", "spends_token": "0x" + "22" * 20,
            "points": 10, "body": "{}", "client": "127.0.0.1", "status": Status.QUEUED, "created_at": now,
            "updated_at": now}


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_the_queue_holds_a_signature_once_and_numbers_nonces_in_one_sequence(postgres_server_url, dialect, tmp_path):
    store = Store(database_url(dialect, tmp_path, postgres_server_url, "sequence"))
    store.prepare()
    relayer = "0x" + "33" * 20
    store.add(_row("a"))
    with pytest.raises(Duplicate, match="accepted as request a"):
        store.add(_row("b"))
    assert store.resync_nonce(relayer, 7) == (None, 7)
    queued = store.get("a")
    assert queued is not None
    signed = store.assign(relayer, [queued], lambda request, nonce: Signed(
        f"0xraw{nonce}", f"0x{nonce:064x}", 2 * GWEI, GWEI, 50_000))
    assert signed[0][1].raw == "0xraw7" and store.next_nonce(relayer) == 8
    # The key was used elsewhere: up to the chain; our nonce 7 in flight keeps the sequence above it.
    assert store.resync_nonce(relayer, 12) == (8, 12)
    assert store.resync_nonce(relayer, 5) == (12, 8)
    store.set("a", status=Status.FAILED, reason="test")
    store.add(_row("c"))  # a failed request frees its signature
    assert store.resync_nonce(relayer, 5) == (8, 5)
    store.close()


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_requests_posted_at_once_share_commits_and_a_signature_is_held_once(postgres_server_url, dialect, tmp_path):
    store = Store(database_url(dialect, tmp_path, postgres_server_url, "together"))
    store.prepare()
    # 40 threads at once, two requests for each of 20 signatures: one of each pair is queued.
    rows = [_row(f"{signer}-{copy}", signer=f"0x{signer:040x}") for signer in range(20) for copy in range(2)]
    outcomes: dict[str, str] = {}
    start = threading.Barrier(len(rows))

    def post(row: dict) -> None:
        start.wait()
        try:
            store.add(row)
            outcomes[row["id"]] = "queued"
        except Duplicate as error:
            outcomes[row["id"]] = error.existing_id

    threads = [threading.Thread(target=post, args=(row,)) for row in rows]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for signer in range(20):
        first, second = outcomes[f"{signer}-0"], outcomes[f"{signer}-1"]
        winner = f"{signer}-0" if first == "queued" else f"{signer}-1"
        assert sorted([first, second]) == sorted(["queued", winner])
        assert store.get(winner) is not None
    assert sum(store.get(row["id"]) is not None for row in rows) == 20
    store.close()
