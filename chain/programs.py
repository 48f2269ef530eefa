"""A program's on-chain settings: what its PointsToken was deployed with, read in one batch."""

from dataclasses import dataclass

from chain.calldata import calldata
from chain.rpc import Block, RpcClient
from points.errors import PointsError

# The getters of PointsToken's constructor settings, in ProgramSettings' field order.
_GETTERS = ("epoch_start()", "epochLength()", "validityDuration()", "cap_period()", "transferable()")


class NotAProgram(PointsError):
    """The address holds no PointsToken."""


@dataclass(frozen=True)
class ProgramSettings:
    """Fixed at deployment, so they may be read at any block since."""

    epoch_start: int
    epoch_length: int
    validity: int
    cap_period: int
    transferable: bool


def read_settings(rpc: RpcClient, address: str, block: Block = "latest") -> ProgramSettings:
    """The settings of the program at `address`, read at `block`."""
    results = rpc.calls([(address, calldata(getter)) for getter in _GETTERS], block)
    if any(not result for result in results):  # no code there: every call returns nothing
        raise NotAProgram(f"{address} is not a PointsToken")
    epoch_start, epoch_length, validity, cap_period, transferable = (result[0] for result in results)
    return ProgramSettings(epoch_start, epoch_length, validity, cap_period, bool(transferable))
