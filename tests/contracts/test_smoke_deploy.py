"""End-to-end foundation check: compile, deploy on Anvil through ape, read the contract back."""

from tests.conftest import EPOCH_LENGTH, VALIDITY


def test_deploy_and_read_back(deploy_token, owner, chain):
    token = deploy_token()

    assert token.name() == "Coffee Club Points"
    assert token.symbol() == "BEAN"
    assert token.decimals() == 0
    assert token.owner() == owner
    assert token.epochLength() == EPOCH_LENGTH
    assert token.validityDuration() == VALIDITY
    assert token.epochType() == 1
    assert token.totalSupply() == 0
    assert token.epoch_start() == chain.blocks.head.timestamp
    assert chain.provider.name == "foundry"
