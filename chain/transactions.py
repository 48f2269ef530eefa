"""What a node's refusal of a raw transaction means, across clients (geth, erigon, nethermind, besu,
anvil and hosted providers), so that a sender reacts to each instead of retrying blindly."""

from enum import Enum

from chain.rpc import RpcError


class Refusal(Enum):
    ALREADY_KNOWN = "already known"
    """The node holds this very transaction: it was sent before."""
    NONCE_TOO_LOW = "nonce too low"
    """The nonce is used on chain, by this transaction or another of the key."""
    UNDERPRICED = "underpriced"
    """Another transaction with the nonce waits in the pool and pays more, or the fee is under the node's floor."""
    FEE_BELOW_BASE_FEE = "fee below base fee"
    INSUFFICIENT_FUNDS = "insufficient funds"
    OTHER = "other"


# Lower-case phrases, most specific first.
_PHRASES = (
    (Refusal.ALREADY_KNOWN, ("already known", "already imported", "known transaction", "alreadyknown",
                              "already exists", "already in the pool")),
    (Refusal.NONCE_TOO_LOW, ("nonce too low", "nonce is too low", "oldnonce", "nonce has already been used")),
    (Refusal.FEE_BELOW_BASE_FEE, ("less than block base fee", "fee cap less than block base fee",
                                   "max fee per gas less than")),
    (Refusal.UNDERPRICED, ("replacement transaction underpriced", "replacement fee too low", "underpriced",
                           "fee too low")),
    (Refusal.INSUFFICIENT_FUNDS, ("insufficient funds", "insufficient balance")),
)


def refusal(error: RpcError) -> Refusal:
    text = error.message.lower()
    for kind, phrases in _PHRASES:
        if any(phrase in text for phrase in phrases):
            return kind
    return Refusal.OTHER


def revert_reason(error: RpcError) -> str:
    """The revert's reason string as the node words it, without its 'execution reverted: ' prefix."""
    message = error.message
    for prefix in ("execution reverted: ", "Execution reverted: ", "execution reverted"):
        if message.startswith(prefix):
            return message[len(prefix):].strip() or "reverted without a reason"
    return message
