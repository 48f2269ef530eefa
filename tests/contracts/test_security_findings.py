"""The security review of contracts v1, finding by finding: each test replays the attack (or the
refused valid use) on the real contracts and checks that v2 stops it (or accepts it)."""

import ape
import pytest
from eth_account import Account

from tests.contracts.signing_helpers import (
    NO_REF,
    assert_logs,
    exchange_digest,
    fixture_contract_container,
    redeem_digest,
    sign_digest,
    sign_redeem,
)

MAX_UINT256 = 2**256 - 1
HOUR = 3_600
NO_CAP = "rewards_catalog: merchant holds no cap"
REVOKED = "rewards_catalog: the reward's merchant is revoked"
INACTIVE = "rewards_catalog: reward is not active"
PAUSED = "pausable: contract is paused"
NOT_OWNER = "ownable: caller is not the owner"
NOT_APPROVED = "PartnerExchange: route not approved by from_token's owner"
CAP_EXCEEDED = "merchant_caps: amount exceeds the merchant's cap for this period"
ROUTE_CAP_EXCEEDED = "PartnerExchange: route cap for this period exceeded"


@pytest.fixture(scope="module")
def accomplice(accounts):
    return accounts[8]


@pytest.fixture(scope="module")
def stolen_key(accounts):
    """A till whose key leaked."""
    return accounts[9]


@pytest.fixture(scope="module")
def shop(token, owner, merchant, stolen_key, accomplice):
    """Reward 1 (500 points, 5 in stock) of the till `stolen_key`; the accomplice holds 1,000 points."""
    token.set_merchant(stolen_key, 10_000, "Airport kiosk", sender=owner)
    token.add_reward(500, 5, stolen_key, "Bag of house beans", sender=owner)
    token.mint(accomplice, 1_000, NO_REF, sender=merchant)
    return token


# Finding 1: a revoked merchant kept control of its rewards.


def test_revoked_merchant_cannot_relist_its_deactivated_reward_cheaply(shop, owner, stolen_key, accomplice):
    shop.set_merchant(stolen_key, 0, "Airport kiosk", sender=owner)
    shop.set_reward(1, 500, 5, False, sender=owner)

    # The attack: the revoked key makes the reward cost 1 point with a huge stock.
    with ape.reverts(NO_CAP):
        shop.set_reward(1, 1, 10**9, True, sender=stolen_key)
    with ape.reverts(INACTIVE):
        shop.redeem(1, 20, 20, sender=accomplice)

    assert shop.rewards(1) == (stolen_key.address, 500, 5, False)
    assert shop.balanceOf(accomplice) == 1_000


def test_a_revoked_merchants_reward_cannot_be_redeemed_even_if_left_active(shop, owner, stolen_key, accomplice):
    shop.set_merchant(stolen_key, 0, "Airport kiosk", sender=owner)

    with ape.reverts(REVOKED):
        shop.redeem(1, 1, 500, sender=accomplice)

    assert shop.balanceOf(accomplice) == 1_000
    assert shop.rewards(1) == (stolen_key.address, 500, 5, True)


def test_a_revoked_merchant_cannot_list_a_reward(shop, owner, stolen_key):
    shop.set_merchant(stolen_key, 0, "Airport kiosk", sender=owner)

    with ape.reverts(NO_CAP):
        shop.add_reward(1, 10**9, stolen_key, "Free everything", sender=stolen_key)

    assert shop.reward_count() == 1


def test_the_owner_can_always_deactivate_a_revoked_merchants_reward(shop, owner, stolen_key):
    shop.set_merchant(stolen_key, 0, "Airport kiosk", sender=owner)

    shop.set_reward(1, 500, 5, False, sender=owner)

    assert shop.rewards(1) == (stolen_key.address, 500, 5, False)


def test_reinstated_merchants_reward_is_redeemable_again(shop, owner, stolen_key, accomplice):
    shop.set_merchant(stolen_key, 0, "Airport kiosk", sender=owner)
    shop.set_merchant(stolen_key, 10_000, "Airport kiosk", sender=owner)

    assert shop.redeem(1, 1, 500, sender=accomplice).return_value == 500


# Finding 2: the pause did not stop the catalog.


def test_merchants_catalog_changes_revert_while_paused(shop, owner, stolen_key):
    shop.pause(sender=owner)

    with ape.reverts(PAUSED):
        shop.add_reward(1, 10**9, stolen_key, "Free everything", sender=stolen_key)
    with ape.reverts(PAUSED):
        shop.set_reward(1, 1, 10**9, True, sender=stolen_key)

    assert shop.reward_count() == 1
    assert shop.rewards(1) == (stolen_key.address, 500, 5, True)


def test_the_owner_deactivates_a_reward_during_the_incident(shop, owner, stolen_key):
    shop.pause(sender=owner)

    shop.set_reward(1, 500, 5, False, sender=owner)

    assert shop.rewards(1) == (stolen_key.address, 500, 5, False)


# Finding 3: any pauser could lift the owner's pause.


def test_a_leaked_pauser_key_cannot_undo_the_owners_pause(shop, owner, pauser):
    shop.set_pauser(pauser, True, sender=owner)
    shop.pause(sender=owner)

    with ape.reverts(NOT_OWNER):
        shop.unpause(sender=pauser)

    assert shop.paused()
    shop.unpause(sender=owner)
    assert not shop.paused()


# Finding 4: route consent was not bound to its terms.


@pytest.fixture(scope="module")
def alliance(project, deploy_token, owner, merchant, accomplice, stranger, accounts):
    """Program A (owned by `owner`) and program B (owned by accounts[7]), and the exchange, a
    merchant of B; the accomplice holds 1,000 A points with an unlimited allowance to it."""
    b_owner = accounts[7]
    token_a = deploy_token()
    token_a.set_merchant(merchant, 10**9, "Downtown store", sender=owner)
    token_b = deploy_token(name="Sky Miles", symbol="MILE", owner=b_owner)
    exchange = stranger.deploy(project.PartnerExchange)
    token_b.set_merchant(exchange, 2**95, "Partner exchange", sender=b_owner)
    token_a.mint(accomplice, 1_000, NO_REF, sender=merchant)
    token_a.approve(exchange, MAX_UINT256, sender=accomplice)
    return token_a, token_b, exchange, b_owner


def test_a_new_rate_withdraws_the_sending_owners_approval(alliance, owner, accomplice):
    token_a, token_b, exchange, b_owner = alliance
    exchange.set_route(token_a, token_b, 1, 1, 100, sender=b_owner)
    exchange.approve_route(token_a, token_b, True, sender=owner)

    # The attack: the receiving owner raises the rate and the cap after A's owner approved 1:1.
    tx = exchange.set_route(token_a, token_b, 2**32 - 1, 1, 2**63 - 1, sender=b_owner)

    assert_logs(
        tx,
        exchange.RouteSet(from_token=token_a, to_token=token_b, rate_num=2**32 - 1, rate_den=1, cap=2**63 - 1),
        exchange.RouteApproved(from_token=token_a, to_token=token_b, enabled=False),
    )
    assert exchange.routes(token_a, token_b) == (2**32 - 1, 1, 2**63 - 1, False)
    with ape.reverts(NOT_APPROVED):
        exchange.exchange(token_a, token_b, 1_000, 0, sender=accomplice)
    assert token_b.balanceOf(accomplice) == 0

    exchange.approve_route(token_a, token_b, True, sender=owner)  # A's owner agrees to the new terms

    assert exchange.exchange(token_a, token_b, 1, 0, sender=accomplice).return_value == 2**32 - 1


@pytest.mark.parametrize(
    "rate_num, rate_den, cap",
    [(1, 2, 100), (2, 1, 100), (2, 2, 100), (1, 1, 101)],
    ids=["new-denominator", "new-numerator", "same-ratio-new-parts", "higher-cap"],
)
def test_any_new_rate_or_higher_cap_withdraws_the_approval(alliance, owner, rate_num, rate_den, cap):
    token_a, token_b, exchange, b_owner = alliance
    exchange.set_route(token_a, token_b, 1, 1, 100, sender=b_owner)
    exchange.approve_route(token_a, token_b, True, sender=owner)

    exchange.set_route(token_a, token_b, rate_num, rate_den, cap, sender=b_owner)

    assert exchange.routes(token_a, token_b) == (rate_num, rate_den, cap, False)


@pytest.mark.parametrize("cap", [100, 50, 0], ids=["same-terms", "lower-cap", "closed"])
def test_the_same_rate_with_no_higher_cap_keeps_the_approval(alliance, owner, cap):
    token_a, token_b, exchange, b_owner = alliance
    exchange.set_route(token_a, token_b, 1, 1, 100, sender=b_owner)
    exchange.approve_route(token_a, token_b, True, sender=owner)

    tx = exchange.set_route(token_a, token_b, 1, 1, cap, sender=b_owner)

    assert exchange.routes(token_a, token_b) == (1, 1, cap, True)
    assert [log.event_name for log in tx.events] == ["RouteSet"]


def test_an_approval_given_before_any_terms_does_not_cover_the_first_terms(alliance, owner):
    token_a, token_b, exchange, b_owner = alliance
    exchange.approve_route(token_a, token_b, True, sender=owner)

    exchange.set_route(token_a, token_b, 1, 1, 100, sender=b_owner)

    assert exchange.routes(token_a, token_b) == (1, 1, 100, False)


# Finding 5: fixed cap windows allow twice the cap in one second. The bound is stated, not
# changed (NatSpec of merchant_caps and PartnerExchange, README, the deploy output): these tests
# pin the true worst case so that the statement stays true.


def test_a_merchant_issues_at_most_twice_its_cap_across_a_period_boundary(token, owner, chain, alice, accounts):
    till = accounts[9]
    token.set_merchant(till, 100, "Airport kiosk", sender=owner)
    period, start = token.cap_period(), token.cap_period_start()
    boundary = start + period * ((chain.pending_timestamp - start) // period + 1)

    chain.pending_timestamp = boundary - 1
    token.mint(alice, 100, NO_REF, sender=till)
    # Read at that block itself: a later call could fall in the next period on a loaded machine.
    assert token.mintable(till, block_id=chain.blocks.head.number) == 0
    chain.pending_timestamp = boundary
    token.mint(alice, 100, NO_REF, sender=till)

    assert token.balanceOf(alice) == 200
    with ape.reverts(CAP_EXCEEDED):  # and no more until the period after
        token.mint(alice, 1, NO_REF, sender=till)


def test_a_route_issues_at_most_twice_its_cap_across_a_period_boundary(alliance, owner, chain, accomplice):
    token_a, token_b, exchange, b_owner = alliance
    exchange.set_route(token_a, token_b, 1, 1, 100, sender=b_owner)
    exchange.approve_route(token_a, token_b, True, sender=owner)
    period, start = token_b.cap_period(), token_b.cap_period_start()
    boundary = start + period * ((chain.pending_timestamp - start) // period + 1)

    chain.pending_timestamp = boundary - 1
    exchange.exchange(token_a, token_b, 100, 100, sender=accomplice)
    # Read at that block itself: a later call could fall in the next period on a loaded machine.
    assert exchange.used(token_a, token_b, block_id=chain.blocks.head.number) == 100
    chain.pending_timestamp = boundary
    exchange.exchange(token_a, token_b, 100, 100, sender=accomplice)

    assert token_b.balanceOf(accomplice) == 200
    with ape.reverts(ROUTE_CAP_EXCEEDED):
        exchange.exchange(token_a, token_b, 1, 1, sender=accomplice)


# Finding 6: smart accounts could not sign.


@pytest.fixture(scope="module")
def safe_owners():
    """Three owner keys of a 2-of-3 wallet, sorted by address as the wallet's proof requires."""
    keys = [Account.from_key(bytes([index]) * 32) for index in (11, 12, 13)]
    return sorted(keys, key=lambda key: int(key.address, 16))


@pytest.fixture(scope="module")
def safe(shop, owner, merchant, safe_owners):
    """A 2-of-3 multi-owner wallet holding 1,000 points."""
    wallet = owner.deploy(fixture_contract_container("MultiOwnerWallet"), [key.address for key in safe_owners], 2)
    shop.mint(wallet, 1_000, NO_REF, sender=merchant)
    return wallet


def two_owner_proof(safe_owners, digest: bytes) -> bytes:
    return b"".join(sign_digest(key, digest) for key in safe_owners[:2])


def test_a_multi_owner_wallet_redeems_with_a_130_byte_proof(shop, safe, safe_owners, chain, stolen_key, accounts):
    till = accounts[6]
    args = {"holder": safe, "reward_id": 1, "quantity": 1, "max_points": 500,
            "deadline": chain.pending_timestamp + HOUR}
    proof = two_owner_proof(safe_owners, redeem_digest(chain, shop, **args))
    assert len(proof) == 130

    tx = shop.redeem_with_sig(safe, 1, 1, 500, args["deadline"], proof, sender=till)

    assert tx.return_value == 500
    assert shop.balanceOf(safe) == 500
    assert shop.nonces(safe) == 1


def test_a_multi_owner_wallet_refuses_a_proof_below_its_threshold(shop, safe, safe_owners, chain, accounts):
    args = {"holder": safe, "reward_id": 1, "quantity": 1, "max_points": 500,
            "deadline": chain.pending_timestamp + HOUR}
    one_signature = sign_digest(safe_owners[0], redeem_digest(chain, shop, **args))

    with ape.reverts("PointsToken: invalid redemption signature"):
        shop.redeem_with_sig(safe, 1, 1, 500, args["deadline"], one_signature, sender=accounts[6])

    assert shop.balanceOf(safe) == 1_000


def test_a_multi_owner_wallet_exchanges_with_a_130_byte_proof(alliance, merchant, safe_owners, owner, chain, accounts):
    token_a, token_b, exchange, b_owner = alliance
    exchange.set_route(token_a, token_b, 1, 1, 100, sender=b_owner)
    exchange.approve_route(token_a, token_b, True, sender=owner)
    wallet = owner.deploy(fixture_contract_container("MultiOwnerWallet"), [key.address for key in safe_owners], 2)
    token_a.mint(wallet, 50, NO_REF, sender=merchant)
    wallet.execute(token_a, token_a.approve.encode_input(exchange.address, 50), sender=owner)
    deadline = chain.pending_timestamp + HOUR
    args = {"account": wallet, "from_token": token_a, "to_token": token_b, "amount_in": 50, "min_out": 50}
    proof = two_owner_proof(safe_owners, exchange_digest(chain, exchange, deadline=deadline, **args))

    tx = exchange.exchange_with_sig(wallet, token_a, token_b, 50, 50, deadline, proof, sender=accounts[6])

    assert tx.return_value == 50
    assert token_a.balanceOf(wallet) == 0
    assert token_b.balanceOf(wallet) == 50
    assert exchange.nonces(wallet) == 1


@pytest.fixture(scope="module")
def delegated_eoa(shop, merchant, owner, chain):
    """An EOA that delegated its code by an EIP-7702 (type 4) transaction, which a sponsor sent
    and paid for: it holds 1,000 points and no ETH, and it has code."""
    eoa = Account.from_key(b"\x77" * 32)
    implementation = owner.deploy(fixture_contract_container("SmartWallet"), eoa.address)
    web3 = chain.provider.web3
    authorization = eoa.sign_authorization(
        {"chainId": chain.chain_id, "address": implementation.address,
         "nonce": web3.eth.get_transaction_count(eoa.address)}
    )
    sponsor = owner
    transaction = {
        "type": 4,
        "chainId": chain.chain_id,
        "nonce": web3.eth.get_transaction_count(sponsor.address),
        "to": sponsor.address,  # the delegation needs no call: the delegate has no fallback
        "value": 0,
        "data": b"",
        "gas": 100_000,
        "maxFeePerGas": 10 * web3.eth.gas_price + 10**9,
        "maxPriorityFeePerGas": 10**9,
        "authorizationList": [authorization],
    }
    signed = Account.sign_transaction(transaction, sponsor.private_key)
    receipt = web3.eth.wait_for_transaction_receipt(web3.eth.send_raw_transaction(signed.raw_transaction))
    assert receipt.status == 1
    assert bytes(web3.eth.get_code(eoa.address)) == b"\xef\x01\x00" + bytes.fromhex(implementation.address[2:])
    shop.mint(eoa.address, 1_000, NO_REF, sender=merchant)
    return eoa


def test_an_eip7702_account_redeems_with_its_ecdsa_signature(shop, delegated_eoa, chain, accounts):
    holder = delegated_eoa
    deadline = chain.pending_timestamp + HOUR
    args = {"holder": holder.address, "reward_id": 1, "quantity": 1, "max_points": 500, "deadline": deadline}
    signature = sign_digest(holder, redeem_digest(chain, shop, **args))

    tx = shop.redeem_with_sig(holder.address, 1, 1, 500, deadline, signature, sender=accounts[6])

    assert tx.return_value == 500
    assert shop.balanceOf(holder.address) == 500
    assert chain.provider.get_balance(holder.address) == 0


def test_an_eip7702_accounts_signature_by_another_key_is_refused(shop, delegated_eoa, chain, alice, accounts):
    deadline = chain.pending_timestamp + HOUR
    args = {"holder": delegated_eoa.address, "reward_id": 1, "quantity": 1, "max_points": 500, "deadline": deadline}

    with ape.reverts("PointsToken: invalid redemption signature"):
        shop.redeem_with_sig(
            delegated_eoa.address, 1, 1, 500, deadline, sign_redeem(chain, shop, alice, **args), sender=accounts[6]
        )


# Finding 7: an epoch length that overflows `getNearestExpiryOf` was accepted.


def test_an_epoch_length_beyond_64_bits_is_refused(deploy_token):
    with ape.reverts("expiring_ledger: epoch length exceeds 2**64 - 1 seconds"):
        deploy_token(epoch_length=2**64)
    with ape.reverts("expiring_ledger: epoch length exceeds 2**64 - 1 seconds"):
        deploy_token(epoch_length=2**255)


def test_a_cap_period_beyond_64_bits_is_refused(deploy_token):
    with ape.reverts("merchant_caps: cap period exceeds 2**64 - 1 seconds"):
        deploy_token(cap_period=2**64)


def test_the_longest_epoch_length_reports_its_expiry(deploy_token, owner, merchant, alice, chain):
    token = deploy_token(epoch_length=2**64 - 1, validity=64)
    token.set_merchant(merchant, 100, "Downtown store", sender=owner)
    token.mint(alice, 7, NO_REF, sender=merchant)

    assert token.getNearestExpiryOf(alice) == (7, token.epoch_start() + 64 * (2**64 - 1))
