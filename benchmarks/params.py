"""The program parameters every benchmark deployment uses."""

from typing import Final

EPOCH_LENGTH: Final = 1_000
"""Seconds per epoch: short, so that time travel stays cheap."""

VALIDITY: Final = 6
"""Epochs a point stays valid: the ring every account spends from has 6 slots."""

CAP_PERIOD: Final = 30 * 86_400
"""One cap period spans every epoch the benchmarks visit."""

MERCHANT_CAP: Final = 10**24
"""Far above anything the benchmarks issue."""

POINTS: Final = 100
"""The amount each setup mint issues: one group per holder and epoch."""
