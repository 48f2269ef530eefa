"""A signed request checked as the chain would check it, in one JSON-RPC batch: the deployment,
the signature (ECDSA, or ERC-1271 through `eth_call`), the signer's nonce, the deadline, the
reward or route, the balance, then a simulation of the very transaction the worker will send.

Whatever the chain would refuse becomes a `Refused` with a line that says what to change, so a
refused request never costs gas. What `points.preconditions` says of the chain's values is shared
with the ape scripts.
"""

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi import decode

from chain.calldata import as_address, calldata, words
from chain.rpc import Request, RpcClient, RpcError
from chain.transactions import revert_reason
from points.addresses import eip55
from points.errors import PointsError
from points.manifest import Manifest
from points.preconditions import ExchangeView, RedemptionView, Reward, exchange_amounts, redemption_cost
from points.signing import (
    ECDSA_SIGNATURE_BYTES,
    EXCHANGE_DOMAIN_NAME,
    Signature,
    SigningDomain,
    ecrecover,
    exchange_typed_data,
    redeem_typed_data,
    typed_data_digest,
)
from relayer.bodies import ExchangeBody, RedemptionBody
from relayer.errors import BAD_REQUEST, CONFLICT, FORBIDDEN, UNAVAILABLE, Refused
from relayer.models import Kind, Status
from relayer.policy import Policy

REDEEM_WITH_SIG = "redeem_with_sig(address,uint256,uint256,uint256,uint256,bytes)"
EXCHANGE_WITH_SIG = "exchange_with_sig(address,address,address,uint256,uint256,uint256,bytes)"
IS_VALID_SIGNATURE = "isValidSignature(bytes32,bytes)"
ERC1271_MAGIC = bytes.fromhex("1626ba7e")


@dataclass(frozen=True)
class Program:
    key: str
    address: str
    name: str
    symbol: str


@dataclass(frozen=True)
class Deployment:
    """What the relayer serves: the manifest's contracts, with each token's EIP-712 name read from it."""

    chain_id: int
    exchange: str
    programs: dict[str, Program]
    """By checksummed address."""

    @classmethod
    def read(cls, rpc: RpcClient, manifest: Manifest) -> "Deployment":
        chain_id = rpc.chain_id()
        if chain_id != manifest.chain_id:
            raise PointsError(f"the manifest is for chain {manifest.chain_id} but the node at {rpc.url} is "
                              f"chain {chain_id}")
        records = list(manifest.programs.items())
        names = rpc.batch([("eth_call", ({"to": record.address, "data": calldata(getter)}, "latest"))
                           for _, record in records for getter in ("name()", "symbol()")])
        programs = {}
        for index, (key, record) in enumerate(records):
            name, symbol = (decode(["string"], bytes.fromhex(text[2:]))[0] for text in names[2 * index:2 * index + 2])
            programs[record.address] = Program(key, record.address, name, symbol)
        return cls(chain_id, manifest.exchange.address, programs)

    def program(self, address: str, what: str) -> Program:
        if (program := self.programs.get(address)) is None:
            raise Refused(BAD_REQUEST, f"{what} {address} is not a program of this relayer's deployment "
                                       f"(it serves {', '.join(sorted(p.key for p in self.programs.values()))})")
        return program


@dataclass(frozen=True)
class Checked:
    """A request the chain would accept now: the row the queue keeps."""

    kind: Kind
    contract: str
    signer: str
    signer_nonce: int
    calldata: str
    spends_token: str
    points: int
    body: str


class Checker:
    def __init__(self, rpc: RpcClient, deployment: Deployment, policy: Policy, relayer: str,
                 merchants: Sequence[str]) -> None:
        self.rpc = rpc
        self.deployment = deployment
        self.policy = policy
        self.relayer = relayer
        self.merchants = list(merchants)

    def redemption(self, body: RedemptionBody, client: str) -> Checked:
        program = self.deployment.program(body.token, "token")
        pending = self.policy.admit(body.holder, client)
        token, holder = program.address, body.holder
        data = calldata(REDEEM_WITH_SIG, holder, body.reward_id, body.quantity, body.max_points, body.deadline,
                        body.signature_bytes)
        reads = [
            _call(token, "nonces(address)", holder),
            _call(token, "rewards(uint256)", body.reward_id),
            _call(token, "reward_count()"),
            _call(token, "paused()"),
            _call(token, "balanceOf(address)", holder),
            *(_call(token, "merchant_cap(address)", merchant) for merchant in self.merchants),
        ]
        chain_time, relayer_balance, has_code, simulation, values = self._read(token, holder, data, reads)
        self.policy.check_balance(relayer_balance)
        self.policy.check_deadline(body.deadline, chain_time)
        nonce, (merchant, price, stock, active), (count,), (paused,), (balance,), *caps = values
        reward = Reward(body.reward_id, as_address(merchant) if price else "", price, stock, bool(active))
        if price and reward.merchant.lower() not in (served := [m.lower() for m in self.merchants]):
            owner = eip55(reward.merchant[2:])
            raise Refused(FORBIDDEN, f"reward {body.reward_id} of {program.key!r} is merchant {owner}'s; this relayer "
                                     f"pays for the rewards of {', '.join(self.merchants)} only")
        cap = caps[served.index(reward.merchant.lower())][0] if price else 0
        domain = SigningDomain(program.name, self.deployment.chain_id, token)
        signer_nonce = self._signed_nonce(
            token, holder, nonce[0], body.signature_bytes, has_code, pending,
            lambda candidate: typed_data_digest(redeem_typed_data(domain, holder, body.reward_id, body.quantity,
                                                                  body.max_points, candidate, body.deadline)))
        unspent = balance - _pending_points(pending, token, token, nonce[0])
        view = RedemptionView(program.key, program.symbol, bool(paused), reward, count, cap, unspent)
        try:
            cost = redemption_cost(view, body.quantity, body.max_points, holder)
        except PointsError as error:
            raise Refused(BAD_REQUEST, str(error)) from None
        self._check_simulation(simulation, signer_nonce == nonce[0])
        return Checked(Kind.REDEMPTION, token, holder, signer_nonce, data, token, cost, body.model_dump_json())

    def exchange(self, body: ExchangeBody, client: str) -> Checked:
        source = self.deployment.program(body.from_token, "from_token")
        target = self.deployment.program(body.to_token, "to_token")
        pending = self.policy.admit(body.account, client)
        exchange, account = self.deployment.exchange, body.account
        data = calldata(EXCHANGE_WITH_SIG, account, source.address, target.address, body.amount_in, body.min_out,
                        body.deadline, body.signature_bytes)
        reads = [
            _call(exchange, "nonces(address)", account),
            _call(exchange, "routes(address,address)", source.address, target.address),
            _call(exchange, "quote(address,address,uint256)", source.address, target.address, body.amount_in),
            _call(exchange, "used(address,address)", source.address, target.address),
            _call(source.address, "paused()"),
            _call(target.address, "paused()"),
            _call(source.address, "balanceOf(address)", account),
            _call(source.address, "allowance(address,address)", account, exchange),
            *(_call(token, "merchant_cap(address)", merchant)
              for token in (source.address, target.address) for merchant in self.merchants),
        ]
        chain_time, relayer_balance, has_code, simulation, values = self._read(exchange, account, data, reads)
        self.policy.check_balance(relayer_balance)
        self.policy.check_deadline(body.deadline, chain_time)
        nonce, route, quote, (route_used,), (source_paused,), (target_paused,), (balance,), (allowance,), *caps = values
        if not any(cap for (cap,) in caps):
            raise Refused(FORBIDDEN, f"this relayer pays for exchanges of the programs where "
                                     f"{', '.join(self.merchants)} issue points, not {source.key!r} or {target.key!r}")
        domain = SigningDomain(EXCHANGE_DOMAIN_NAME, self.deployment.chain_id, exchange)
        signer_nonce = self._signed_nonce(
            exchange, account, nonce[0], body.signature_bytes, has_code, pending,
            lambda candidate: typed_data_digest(exchange_typed_data(domain, account, source.address, target.address,
                                                                    body.amount_in, body.min_out, candidate,
                                                                    body.deadline)))
        rate_num, rate_den, cap, approved = route
        view = ExchangeView(source.key, target.key, source.symbol, target.symbol, bool(source_paused),
                            bool(target_paused), rate_num, rate_den, cap, bool(approved), route_used,
                            balance - _pending_points(pending, exchange, source.address, nonce[0]), allowance)
        try:
            used, _ = exchange_amounts(view, body.amount_in, (quote[0], quote[1]), body.min_out, account)
        except PointsError as error:
            raise Refused(BAD_REQUEST, str(error)) from None
        self._check_simulation(simulation, signer_nonce == nonce[0])
        return Checked(Kind.EXCHANGE, exchange, account, signer_nonce, data, source.address, used,
                       body.model_dump_json())

    def _read(self, contract: str, signer: str, data: str,
              reads: list[Request]) -> tuple[int, int, bool, Any, list[list[int]]]:
        """The chain's time, the relayer's balance, whether the signer has code, the simulation's outcome
        and each of `reads`, all from one batch."""
        requests: list[Request] = [
            ("eth_getBlockByNumber", ("latest", False)),
            ("eth_getBalance", (self.relayer, "latest")),
            ("eth_getCode", (signer, "latest")),
            ("eth_call", ({"from": self.relayer, "to": contract, "data": data}, "latest")),
            *reads,
        ]
        try:
            block, balance, code, simulation, *results = self.rpc.batch_outcomes(requests)
        except PointsError as error:
            raise Refused(UNAVAILABLE, f"the relayer cannot reach the chain: {error}") from None
        failed = [result for result in (block, balance, code, *results) if isinstance(result, RpcError)]
        if failed:
            raise Refused(UNAVAILABLE, f"the chain did not answer a read: {failed[0].message}")
        return (int(block["timestamp"], 16), int(balance, 16), code not in ("0x", "0x0", ""), simulation,
                [words(result) for result in results])

    def _signed_nonce(self, contract: str, signer: str, chain_nonce: int, signature: bytes, has_code: bool,
                      pending: list[dict[str, Any]], digest: Callable[[int], bytes]) -> int:
        """The signer nonce the signature was made with: the chain's current one, or one past the
        signer's requests that are queued ahead of it (`pending`, the signer's unmined requests)."""
        held = {row["signer_nonce"] for row in pending
                if row["contract"] == contract and row["signer_nonce"] >= chain_nonce}
        candidates = range(chain_nonce, chain_nonce + len(held) + 1)
        matched = _ecdsa_match(signer, signature, candidates, digest)
        if matched is None and has_code:
            matched = self._erc1271_match(signer, signature, candidates, digest)
        if matched is None:
            explanation = ("an account without code signs with its key, in 65 bytes"
                           if len(signature) != ECDSA_SIGNATURE_BYTES and not has_code else
                           "it was made for other values, another chain or contract, or a nonce already used")
            raise Refused(BAD_REQUEST, f"the signature is not {signer}'s for this request on chain "
                                       f"{self.deployment.chain_id} with its current nonce {chain_nonce}: "
                                       f"{explanation}")
        if matched in held:
            raise Refused(CONFLICT, f"this signature (nonce {matched}) is already queued; see its request's status")
        return matched

    def _erc1271_match(self, signer: str, signature: bytes, candidates: range,
                       digest: Callable[[int], bytes]) -> int | None:
        answers = self.rpc.batch_outcomes([
            ("eth_call", ({"to": signer, "data": calldata(IS_VALID_SIGNATURE, digest(nonce), signature)}, "latest"))
            for nonce in candidates])
        for nonce, answer in zip(candidates, answers, strict=True):
            if isinstance(answer, str) and bytes.fromhex(answer[2:])[:4] == ERC1271_MAGIC:
                return nonce
        return None

    def _check_simulation(self, outcome: Any, applies: bool) -> None:
        """A simulation with the signer's current nonce stands for what the chain does now; one behind
        the signer's queued requests is simulated by the worker when its turn comes."""
        if applies and isinstance(outcome, RpcError):
            raise Refused(BAD_REQUEST, f"the chain would refuse it: {revert_reason(outcome)}")


def _pending_points(pending: list[dict[str, Any]], contract: str, token: str, chain_nonce: int) -> int:
    """Points on `token` that the signer's queued requests will spend first: on `contract`, those whose
    signer nonce is not used yet, and all of them on other contracts."""
    return sum(row["points"] for row in pending
               if row["spends_token"] == token and (row["contract"] != contract or row["signer_nonce"] >= chain_nonce))


def _ecdsa_match(signer: str, signature: bytes, candidates: range, digest: Callable[[int], bytes]) -> int | None:
    """The candidate nonce whose message the signature is `signer`'s ECDSA signature of, as the
    contracts recover it."""
    if len(signature) != ECDSA_SIGNATURE_BYTES:
        return None
    parsed = Signature.from_packed(signature)
    return next((nonce for nonce in candidates if ecrecover(digest(nonce), parsed) == signer), None)


def _call(to: str, signature: str, *args: Any) -> Request:
    return ("eth_call", ({"to": to, "data": calldata(signature, *args)}, "latest"))


def new_row(checked: Checked, request_id: str, client: str) -> dict[str, Any]:
    now = time.time()
    return {
        "id": request_id, "kind": checked.kind, "contract": checked.contract, "signer": checked.signer,
        "signer_nonce": checked.signer_nonce, "claim": f"{checked.contract}:{checked.signer}:{checked.signer_nonce}",
        "calldata": checked.calldata, "spends_token": checked.spends_token, "points": checked.points,
        "body": checked.body, "client": client, "status": Status.QUEUED, "created_at": now, "updated_at": now,
    }

