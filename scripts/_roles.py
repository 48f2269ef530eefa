"""Who may do what to a program, checked before anything is sent: a transaction that would revert
costs gas and prints a call trace, where a check says in one line what is wrong."""

from ape.contracts import ContractInstance

from points.errors import PointsError


def check_owner(token: ContractInstance, key: str, address: str, action: str) -> None:
    owner = token.owner()
    if address != owner:
        raise PointsError(f"only the owner of {key!r} ({owner}) can {action}; {address} is not")


def check_owner_or_pauser(token: ContractInstance, key: str, address: str) -> None:
    if address != token.owner() and not token.is_pauser(address):
        raise PointsError(f"{address} is neither the owner nor a pauser of {key!r}")
