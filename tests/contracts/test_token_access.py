"""The access matrix: every privileged function of a PointsToken, called by every role (owner,
merchant, revoked merchant, pauser, stranger, pending owner, holder): the roles that hold the
privilege succeed and emit its event; every other role reverts with its reason (and so changes
nothing: the chain keeps no state of a reverted call)."""

from types import SimpleNamespace

import ape
import pytest

from tests.contracts.token_helpers import ref

NOT_OWNER = "ownable: caller is not the owner"
NOT_PAUSER = "pausers: caller is neither owner nor pauser"
NOT_MERCHANT = "merchant_caps: caller is not a merchant"
NOT_NEW_OWNER = "ownable_2step: caller is not the new owner"
NOT_THAT_MERCHANT = "rewards_catalog: caller is neither owner nor that merchant"
NOT_REWARDS_MERCHANT = "rewards_catalog: caller is neither owner nor the reward's merchant"
NO_CAP = "rewards_catalog: merchant holds no cap"

ROLES = ["owner", "merchant", "revoked_merchant", "pauser", "stranger", "pending_owner", "holder"]
MERCHANT_REWARD = 1
REVOKED_MERCHANTS_REWARD = 2


@pytest.fixture(scope="module")
def access(token, owner, merchant, pauser, new_owner, alice, accounts):
    """The module's token with every role filled: `merchant` is a merchant with reward 1,
    accounts[9] a revoked merchant with reward 2 (listed before its revocation), `pauser` a
    pauser, `new_owner` the pending owner (not yet accepted) and `alice` a holder of 100 points."""
    revoked = accounts[9]
    token.set_pauser(pauser, True, sender=owner)
    token.set_merchant(revoked, 500, "Airport kiosk", sender=owner)
    token.add_reward(10, 5, merchant, "Free espresso", sender=merchant)
    token.add_reward(10, 5, revoked, "Bag of beans", sender=revoked)
    token.set_merchant(revoked, 0, "Airport kiosk", sender=owner)
    token.transfer_ownership(new_owner, sender=owner)
    token.mint(alice, 100, ref("holder"), sender=merchant)
    return token


@pytest.fixture
def ctx(access, owner, merchant, pauser, new_owner, alice, stranger, accounts):
    accounts_by_role = {
        "owner": owner,
        "merchant": merchant,
        "revoked_merchant": accounts[9],
        "pauser": pauser,
        "stranger": stranger,
        "pending_owner": new_owner,
        "holder": alice,
    }
    return SimpleNamespace(token=access, role=accounts_by_role, alice=alice, stranger=stranger, merchant=merchant)


def _own_reward(c, who) -> int:
    """The reward a caller would change: its own where it has one."""
    return REVOKED_MERCHANTS_REWARD if who == c.role["revoked_merchant"] else MERCHANT_REWARD


def _listed_for(c, who):
    """The merchant a caller would list a reward for: itself, except the owner (for `merchant`)."""
    return c.merchant if who == c.role["owner"] else who


def only(allowed: set[str], reason: str, **others: str) -> dict[str, str | None]:
    """Every role's outcome: None (it may call) for `allowed`, a reason of its own for the roles
    named in `others`, `reason` for the rest."""
    return {role: None if role in allowed else others.get(role, reason) for role in ROLES}


# function => (call given the context and the caller, the event it emits, role => revert reason or
# None where the role may call it). Every function names every role.
MATRIX = {
    "set_merchant": (
        lambda c, who: c.token.set_merchant(c.stranger, 10, "New till", sender=who),
        "MerchantSet",
        only({"owner"}, NOT_OWNER),
    ),
    "set_pauser": (
        lambda c, who: c.token.set_pauser(c.stranger, True, sender=who),
        "PauserSet",
        only({"owner"}, NOT_OWNER),
    ),
    "set_transferable": (
        lambda c, who: c.token.set_transferable(False, sender=who),
        "TransferableSet",
        only({"owner"}, NOT_OWNER),
    ),
    "revoke": (
        lambda c, who: c.token.revoke(c.alice, 1, ref("correction"), sender=who),
        "Revoked",
        only({"owner"}, NOT_OWNER),
    ),
    "transfer_ownership": (
        lambda c, who: c.token.transfer_ownership(c.stranger, sender=who),
        "OwnershipTransferStarted",
        only({"owner"}, NOT_OWNER),
    ),
    "accept_ownership": (
        lambda c, who: c.token.accept_ownership(sender=who),
        "OwnershipTransferred",
        only({"pending_owner"}, NOT_NEW_OWNER),
    ),
    "pause": (
        lambda c, who: c.token.pause(sender=who),
        "Paused",
        only({"owner", "pauser"}, NOT_PAUSER),
    ),
    "unpause": (
        lambda c, who: c.token.unpause(sender=who),
        "Unpaused",
        only({"owner"}, NOT_OWNER),
    ),
    "mint": (
        lambda c, who: c.token.mint(c.alice, 1, ref("order"), sender=who),
        "Issued",
        only({"merchant"}, NOT_MERCHANT),
    ),
    "mint_batch": (
        lambda c, who: c.token.mint_batch([c.alice], [1], ref("campaign"), sender=who),
        "Issued",
        only({"merchant"}, NOT_MERCHANT),
    ),
    "add_reward": (
        lambda c, who: c.token.add_reward(10, 1, _listed_for(c, who), "Muffin", sender=who),
        "RewardListed",
        only({"owner", "merchant"}, NO_CAP),
    ),
    "set_reward": (
        lambda c, who: c.token.set_reward(_own_reward(c, who), 12, 4, False, sender=who),
        "RewardUpdated",
        only({"owner", "merchant"}, NOT_REWARDS_MERCHANT, revoked_merchant=NO_CAP),
    ),
}

CASES = [(function, role) for function in MATRIX for role in ROLES]


def prepare(c, function):
    """Puts the token in a state where `function` would succeed for its rightful caller."""
    if function == "unpause":
        c.token.pause(sender=c.role["owner"])


@pytest.mark.parametrize("function, role", CASES, ids=[f"{f}-by-{r}" for f, r in CASES])
def test_access(ctx, function, role):
    call, event, outcomes = MATRIX[function]
    prepare(ctx, function)

    if (reason := outcomes[role]) is None:
        receipt = call(ctx, ctx.role[role])
        assert event in [log.event_name for log in receipt.events]
    else:
        with ape.reverts(reason):
            call(ctx, ctx.role[role])


def test_the_matrix_names_every_role_for_every_function():
    assert all(set(outcomes) == set(ROLES) for _, _, outcomes in MATRIX.values())


def test_the_matrix_covers_every_state_changing_function_that_checks_a_role(access):
    # Everything else a holder may call (transfers, approvals, burns, redemptions) needs no role.
    unprivileged = {
        "transfer", "transferFrom", "transferAtEpoch", "transferFromAtEpoch", "approve", "permit", "burn",
        "burn_from", "redeem", "redeem_with_sig",
    }
    state_changing = {abi.name for abi in access.contract_type.mutable_methods}
    assert state_changing - unprivileged == set(MATRIX)
