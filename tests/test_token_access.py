"""The access matrix: every privileged function, called by every role that does not hold the
privilege, reverts with its reason; the role that holds it succeeds."""

from types import SimpleNamespace

import ape
import pytest

from tests.token_utils import ref

NOT_OWNER = "ownable: caller is not the owner"
NOT_PAUSER = "pausers: caller is neither owner nor pauser"
NOT_MERCHANT = "merchant_caps: caller is not a merchant"
NOT_NEW_OWNER = "ownable_2step: caller is not the new owner"


@pytest.fixture(scope="module")
def access(token, owner, merchant, pauser, new_owner, alice, bob, carol, stranger):
    """The module's token with every role filled: `merchant` is a merchant, `pauser` a pauser,
    `new_owner` the pending owner (not yet accepted) and `alice` a holder of 100 points."""
    token.set_pauser(pauser, True, sender=owner)
    token.transfer_ownership(new_owner, sender=owner)
    token.mint(alice, 100, ref("holder"), sender=merchant)
    return token


@pytest.fixture
def ctx(access, owner, merchant, pauser, new_owner, alice, stranger):
    return SimpleNamespace(
        token=access, owner=owner, merchant=merchant, pauser=pauser, new_owner=new_owner, alice=alice, stranger=stranger
    )


ROLES = {
    "stranger": lambda c: c.stranger,
    "merchant": lambda c: c.merchant,
    "pauser": lambda c: c.pauser,
    "pending_owner": lambda c: c.new_owner,
    "holder": lambda c: c.alice,
    "owner": lambda c: c.owner,
}

# function => (call given the context and the caller, the role that may call it, the event it emits)
PRIVILEGED = {
    "set_merchant": (lambda c, who: c.token.set_merchant(c.stranger, 10, sender=who), "owner", "MerchantSet"),
    "set_pauser": (lambda c, who: c.token.set_pauser(c.stranger, True, sender=who), "owner", "PauserSet"),
    "set_transferable": (lambda c, who: c.token.set_transferable(False, sender=who), "owner", "TransferableSet"),
    "revoke": (lambda c, who: c.token.revoke(c.alice, 1, ref("correction"), sender=who), "owner", "Revoked"),
    "transfer_ownership": (
        lambda c, who: c.token.transfer_ownership(c.stranger, sender=who),
        "owner",
        "OwnershipTransferStarted",
    ),
    "pause": (lambda c, who: c.token.pause(sender=who), "pauser", "Paused"),
    "unpause": (lambda c, who: c.token.unpause(sender=who), "pauser", "Unpaused"),
    "mint": (lambda c, who: c.token.mint(c.alice, 1, ref("order"), sender=who), "merchant", "Issued"),
    "mint_batch": (
        lambda c, who: c.token.mint_batch([c.alice], [1], ref("campaign"), sender=who),
        "merchant",
        "Issued",
    ),
    "accept_ownership": (lambda c, who: c.token.accept_ownership(sender=who), "pending_owner", "OwnershipTransferred"),
}

OWNER_ONLY = ["set_merchant", "set_pauser", "set_transferable", "revoke", "transfer_ownership"]

# (function, unprivileged caller, expected reason)
MATRIX = (
    [(f, r, NOT_OWNER) for f in OWNER_ONLY for r in ("stranger", "merchant", "pauser", "pending_owner", "holder")]
    + [(f, r, NOT_PAUSER) for f in ("pause", "unpause") for r in ("stranger", "merchant", "pending_owner", "holder")]
    + [
        (f, r, NOT_MERCHANT)
        for f in ("mint", "mint_batch")
        for r in ("stranger", "pauser", "pending_owner", "holder", "owner")
    ]
    + [("accept_ownership", r, NOT_NEW_OWNER) for r in ("stranger", "merchant", "pauser", "holder", "owner")]
)


def prepare(c, function):
    """Puts the token in a state where `function` would succeed for its rightful caller."""
    if function == "unpause":
        c.token.pause(sender=c.owner)


@pytest.mark.parametrize("function, role, reason", MATRIX, ids=[f"{f}-by-{r}" for f, r, _ in MATRIX])
def test_unprivileged_caller_reverts(ctx, function, role, reason):
    call, _, _ = PRIVILEGED[function]
    prepare(ctx, function)
    paused = ctx.token.paused()

    with ape.reverts(reason):
        call(ctx, ROLES[role](ctx))

    # Nothing changed.
    assert ctx.token.owner() == ctx.owner
    assert ctx.token.pending_owner() == ctx.new_owner
    assert ctx.token.paused() == paused
    assert ctx.token.balanceOf(ctx.alice) == 100


@pytest.mark.parametrize("function", list(PRIVILEGED))
def test_privileged_caller_succeeds(ctx, function):
    call, role, event = PRIVILEGED[function]
    prepare(ctx, function)

    receipt = call(ctx, ROLES[role](ctx))

    assert not receipt.failed
    assert event in [log.event_name for log in receipt.events]


@pytest.mark.parametrize("function", ["pause", "unpause"])
def test_the_owner_may_also_pause_and_unpause(ctx, function):
    call, _, _ = PRIVILEGED[function]
    prepare(ctx, function)

    call(ctx, ctx.owner)

    assert ctx.token.paused() is (function == "pause")


def test_the_matrix_covers_every_privileged_function():
    assert {f for f, _, _ in MATRIX} == set(PRIVILEGED)
