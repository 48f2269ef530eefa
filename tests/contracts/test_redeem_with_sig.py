"""`redeem_with_sig`, a redemption submitted (and paid for) by a merchant's till or a relayer on the
holder's real EIP-712 signature, including ERC-1271 smart-contract wallets."""

import ape
import pytest

from tests.contracts.signing_helpers import (
    NO_REF,
    ZERO_ADDRESS,
    assert_logs,
    high_s_twin,
    redeem_digest,
    sign_permit,
    sign_redeem,
    smart_wallet_container,
)

INVALID = "PointsToken: invalid redemption signature"
EXPIRED = "PointsToken: redemption signature has expired"
HOUR = 3_600
PRICE = 30
ERC1271_MAGIC = bytes.fromhex("1626ba7e")


@pytest.fixture(scope="module")
def till(accounts):
    """A merchant's point-of-sale account: it submits signed redemptions and pays their gas."""
    return accounts[9]


@pytest.fixture(scope="module")
def shop(token, owner, merchant, alice, bob, till):
    """Rewards 1 (30 points, 10 in stock) and 2 (20 points, 10 in stock) of `merchant`;
    alice and bob hold 1,000 points each; the till holds none."""
    token.add_reward(PRICE, 10, merchant, "Reward", sender=owner)
    token.add_reward(20, 10, merchant, "Reward", sender=owner)
    token.mint(alice, 1_000, NO_REF, sender=merchant)
    token.mint(bob, 1_000, NO_REF, sender=merchant)
    return token


@pytest.fixture
def deadline(chain):
    return chain.pending_timestamp + HOUR


@pytest.fixture
def signed(shop, chain, alice, deadline):
    """Alice's signature for 2 units of reward 1 at up to 60 points, and its arguments."""
    args = {"holder": alice, "reward_id": 1, "quantity": 2, "max_points": 60, "deadline": deadline}
    return args, sign_redeem(chain, shop, alice, **args)


def submit(token, args: dict, signature: bytes, sender):
    return token.redeem_with_sig(
        args["holder"], args["reward_id"], args["quantity"], args["max_points"], args["deadline"], signature,
        sender=sender,
    )


# a valid signature


def test_till_redeems_on_the_holders_signature_and_pays_the_gas(shop, merchant, alice, till, signed):
    args, signature = signed
    alice_eth, till_eth = alice.balance, till.balance

    tx = submit(shop, args, signature, till)

    assert tx.sender == till.address
    assert tx.return_value == 60
    assert shop.balanceOf(alice) == 940
    assert shop.balanceOf(till) == 0
    assert shop.nonces(alice) == 1
    assert shop.rewards(1) == (merchant.address, PRICE, 8, True)
    assert alice.balance == alice_eth
    assert till.balance == till_eth - tx.total_fees_paid
    assert tx.total_fees_paid > 0
    assert_logs(
        tx,
        shop.Transfer(sender=alice, receiver=ZERO_ADDRESS, value=60),
        shop.Redeemed(holder=alice, reward_id=1, merchant=merchant, quantity=2, points=60),
    )


def test_signature_valid_until_the_deadline_second(shop, chain, alice, till):
    deadline = chain.pending_timestamp + 100
    args = {"holder": alice, "reward_id": 1, "quantity": 1, "max_points": PRICE, "deadline": deadline}
    signature = sign_redeem(chain, shop, alice, **args)

    chain.pending_timestamp = deadline
    tx = submit(shop, args, signature, till)

    assert tx.timestamp == deadline
    assert shop.balanceOf(alice) == 1_000 - PRICE


def test_expired_signature_reverts(shop, chain, alice, till, signed):
    args, signature = signed

    chain.pending_timestamp = args["deadline"] + 1
    with ape.reverts(EXPIRED):
        submit(shop, args, signature, till)


def test_anyone_may_submit_including_the_holder(shop, alice, stranger, signed):
    args, signature = signed

    submit(shop, args, signature, stranger)

    assert shop.balanceOf(alice) == 940
    assert shop.balanceOf(stranger) == 0


# the nonce: one signature, one redemption


def test_replay_reverts(shop, alice, till, signed):
    args, signature = signed
    submit(shop, args, signature, till)

    with ape.reverts(INVALID):
        submit(shop, args, signature, till)

    assert shop.nonces(alice) == 1
    assert shop.balanceOf(alice) == 940


def test_signatures_are_used_in_nonce_order(shop, chain, alice, till, deadline):
    first = {"holder": alice, "reward_id": 1, "quantity": 1, "max_points": PRICE, "deadline": deadline}
    second = {"holder": alice, "reward_id": 2, "quantity": 1, "max_points": 20, "deadline": deadline}
    sig_first = sign_redeem(chain, shop, alice, nonce=0, **first)
    sig_second = sign_redeem(chain, shop, alice, nonce=1, **second)

    with ape.reverts(INVALID):
        submit(shop, second, sig_second, till)  # nonce 1 while 0 is due

    submit(shop, first, sig_first, till)
    submit(shop, second, sig_second, till)
    assert shop.nonces(alice) == 2
    assert shop.balanceOf(alice) == 1_000 - PRICE - 20


def test_redemption_invalidates_an_outstanding_permit(shop, chain, alice, bob, till, signed, deadline):
    v, r, s = sign_permit(chain, shop, alice, bob, 500, deadline)  # signs nonce 0 too
    args, signature = signed

    submit(shop, args, signature, till)

    with ape.reverts("approvals: invalid permit signature"):
        shop.permit(alice, bob, 500, deadline, v, r, s, sender=bob)
    assert shop.allowance(alice, bob) == 0


def test_permit_invalidates_an_outstanding_redemption_signature(shop, chain, alice, bob, till, signed, deadline):
    args, signature = signed
    v, r, s = sign_permit(chain, shop, alice, bob, 500, deadline)
    shop.permit(alice, bob, 500, deadline, v, r, s, sender=bob)
    assert shop.nonces(alice) == 1

    with ape.reverts(INVALID):
        submit(shop, args, signature, till)

    resigned = sign_redeem(chain, shop, alice, **args)  # nonce 1
    submit(shop, args, resigned, till)
    assert shop.nonces(alice) == 2
    assert shop.balanceOf(alice) == 940


# every field is bound


@pytest.mark.parametrize(
    "field, value",
    [
        ("holder", "bob"),
        ("reward_id", 2),
        ("quantity", 3),
        ("quantity", 1),
        ("max_points", 90),
        ("max_points", 61),
        ("deadline", "later"),
        ("deadline", "sooner"),
    ],
)
def test_tampered_field_reverts(shop, request, alice, till, signed, field, value):
    args, signature = signed
    if value == "bob":
        value = request.getfixturevalue("bob")
    elif value == "later":
        value = args["deadline"] + 1
    elif value == "sooner":
        value = args["deadline"] - 1
    tampered = args | {field: value}

    with ape.reverts(INVALID):
        submit(shop, tampered, signature, till)

    # the rejected attempt consumed nothing: the genuine request still goes through
    assert shop.nonces(alice) == 0
    submit(shop, args, signature, till)
    assert shop.balanceOf(alice) == 940


@pytest.mark.parametrize("nonce", [1, 2**256 - 1])
def test_signature_over_another_nonce_reverts(shop, chain, alice, till, signed, nonce):
    args, _ = signed
    signature = sign_redeem(chain, shop, alice, nonce=nonce, **args)

    with ape.reverts(INVALID):
        submit(shop, args, signature, till)


def test_signature_by_someone_else_reverts(shop, chain, alice, bob, till, signed):
    args, _ = signed
    by_bob = sign_redeem(chain, shop, bob, **args)  # holder: alice

    with ape.reverts(INVALID):
        submit(shop, args, by_bob, till)
    assert shop.balanceOf(alice) == 1_000
    assert shop.balanceOf(bob) == 1_000


@pytest.mark.parametrize(
    "domain",
    [{"chainId": 1}, {"chainId": 31338}, {"version": "2"}, {"name": "Tea Club Points"}],
    ids=["mainnet", "other-chain", "other-version", "other-name"],
)
def test_signature_for_another_domain_reverts(shop, chain, alice, till, signed, domain):
    args, _ = signed
    assert domain.get("chainId") != chain.chain_id
    signature = sign_redeem(chain, shop, alice, **args, **domain)

    with ape.reverts(INVALID):
        submit(shop, args, signature, till)


def test_signature_for_another_token_contract_reverts(shop, deploy_token, owner, merchant, chain, alice, till, signed):
    twin = deploy_token()  # same name, symbol and owner: only the address differs
    twin.set_merchant(merchant, 1_000, "Till", sender=owner)
    twin.add_reward(PRICE, 10, merchant, "Reward", sender=owner)
    twin.mint(alice, 1_000, NO_REF, sender=merchant)
    args, _ = signed
    for_twin = sign_redeem(chain, shop, alice, **args, verifyingContract=twin.address)

    with ape.reverts(INVALID):
        submit(shop, args, for_twin, till)

    submit(twin, args, for_twin, till)  # the same signature is good where it was meant
    assert twin.balanceOf(alice) == 940
    assert shop.balanceOf(alice) == 1_000


def test_malleable_twin_signature_reverts(shop, alice, till, signed):
    args, signature = signed

    # Refused rather than reverted inside recovery, so that a holder with code could still be asked by ERC-1271.
    with ape.reverts(INVALID):
        submit(shop, args, high_s_twin(signature), till)


@pytest.mark.parametrize(
    "signature, reason",
    [(b"", INVALID), (b"\x00" * 65, INVALID), (b"\x01" * 64, INVALID), (b"\x01" * 2048, INVALID)],
    ids=["empty", "zeros", "64-byte-garbage", "2048-byte-garbage"],
)
def test_garbage_signature_reverts(shop, alice, till, signed, signature, reason):
    args, _ = signed

    with ape.reverts(reason):
        submit(shop, args, signature, till)
    assert shop.balanceOf(alice) == 1_000


def test_zero_holder_reverts(shop, chain, alice, till, deadline):
    args = {"holder": ZERO_ADDRESS, "reward_id": 1, "quantity": 1, "max_points": PRICE, "deadline": deadline}
    signature = sign_redeem(chain, shop, alice, **args)

    with ape.reverts("PointsToken: holder is the zero address"):
        submit(shop, args, signature, till)


# the redemption's own checks still apply


def test_signed_max_points_below_a_raised_price_reverts(shop, merchant, till, signed):
    args, signature = signed
    shop.set_reward(1, PRICE + 1, 10, True, sender=merchant)

    with ape.reverts("rewards_catalog: price exceeds max_points"):
        submit(shop, args, signature, till)


def test_signed_redemption_while_paused_reverts(shop, owner, till, signed):
    args, signature = signed
    shop.pause(sender=owner)

    with ape.reverts("pausable: contract is paused"):
        submit(shop, args, signature, till)


def test_signed_redemption_beyond_the_balance_reverts(shop, chain, alice, till, deadline):
    args = {"holder": alice, "reward_id": 1, "quantity": 10, "max_points": 10 * PRICE, "deadline": deadline}
    shop.burn(800, sender=alice)
    signature = sign_redeem(chain, shop, alice, **args)

    with ape.reverts("expiring_ledger: amount exceeds unexpired balance"):
        submit(shop, args, signature, till)


def test_signed_redemption_works_when_transfers_are_disabled(shop, owner, alice, till, signed):
    shop.set_transferable(False, sender=owner)
    args, signature = signed

    submit(shop, args, signature, till)

    assert shop.balanceOf(alice) == 940


# ERC-1271 smart-contract wallets


@pytest.fixture
def wallet(shop, owner, merchant, carol):
    """A smart-contract wallet whose owner key is carol's, holding 500 points."""
    wallet = owner.deploy(smart_wallet_container(), carol)
    shop.mint(wallet, 500, NO_REF, sender=merchant)
    return wallet


def test_wallet_answers_erc1271_for_its_owners_signature_only(wallet, shop, chain, carol, bob, deadline):
    args = {"holder": wallet, "reward_id": 1, "quantity": 1, "max_points": PRICE, "deadline": deadline}
    digest = redeem_digest(chain, shop, **args)

    assert wallet.owner() == carol.address
    assert bytes(wallet.isValidSignature(digest, sign_redeem(chain, shop, carol, **args))) == ERC1271_MAGIC
    assert bytes(wallet.isValidSignature(digest, sign_redeem(chain, shop, bob, **args))) == b"\xff" * 4


def test_smart_wallet_redeems_on_its_owners_signature(wallet, shop, chain, merchant, carol, till, deadline):
    args = {"holder": wallet, "reward_id": 1, "quantity": 3, "max_points": 90, "deadline": deadline}
    signature = sign_redeem(chain, shop, carol, **args)

    tx = submit(shop, args, signature, till)

    assert tx.return_value == 90
    assert shop.balanceOf(wallet) == 410
    assert shop.nonces(wallet) == 1
    assert shop.nonces(carol) == 0
    assert_logs(
        tx,
        shop.Transfer(sender=wallet, receiver=ZERO_ADDRESS, value=90),
        shop.Redeemed(holder=wallet, reward_id=1, merchant=merchant, quantity=3, points=90),
    )
    with ape.reverts(INVALID):  # and its nonce was consumed
        submit(shop, args, signature, till)


def test_smart_wallet_rejects_a_signature_by_someone_else(wallet, shop, chain, bob, till, deadline):
    args = {"holder": wallet, "reward_id": 1, "quantity": 1, "max_points": PRICE, "deadline": deadline}
    signature = sign_redeem(chain, shop, bob, **args)

    with ape.reverts(INVALID):
        submit(shop, args, signature, till)
    assert shop.balanceOf(wallet) == 500


def test_wallet_owners_signature_does_not_spend_the_owners_own_points(wallet, shop, chain, merchant, carol, till,
                                                                      deadline):
    shop.mint(carol, 100, NO_REF, sender=merchant)
    args = {"holder": wallet, "reward_id": 1, "quantity": 1, "max_points": PRICE, "deadline": deadline}
    signature = sign_redeem(chain, shop, carol, **args)

    with ape.reverts(INVALID):
        submit(shop, args | {"holder": carol}, signature, till)

    submit(shop, args, signature, till)
    assert shop.balanceOf(carol) == 100
    assert shop.balanceOf(wallet) == 500 - PRICE


def test_contract_holder_without_erc1271_is_rejected(shop, deploy_token, merchant, chain, alice, till, deadline):
    not_a_wallet = deploy_token()  # a contract with no isValidSignature
    shop.mint(not_a_wallet, 100, NO_REF, sender=merchant)
    args = {"holder": not_a_wallet, "reward_id": 1, "quantity": 1, "max_points": PRICE, "deadline": deadline}
    signature = sign_redeem(chain, shop, alice, **args)

    with ape.reverts(INVALID):
        submit(shop, args, signature, till)
