"""The deploy plan against a plain model of what each step does on chain: a plan, once applied,
leaves nothing to change, whatever the chain held before and whatever the file asks."""

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from points.alliance import AllianceConfig
from points.deployment_plan import (
    EXCHANGE,
    EXCHANGE_NAME,
    AddReward,
    ApproveRoute,
    ChainState,
    MerchantState,
    OfferOwnership,
    ProgramState,
    RewardState,
    RouteState,
    SetMerchant,
    SetReward,
    SetRoute,
    SetTransferable,
    Step,
    plan,
)

DEPLOYER = "0x" + "d0" * 20
TILLS = ["0x" + f"{index:02x}" * 20 for index in range(1, 5)]
REWARD_NAMES = ["Free espresso", "Breakfast combo", "Lounge pass"]
PROGRAMS = ["coffee", "airline"]


def alliance(programs: dict, routes: list | None = None) -> AllianceConfig:
    base = {"name": "A program", "symbol": "PTS", "epoch_length": 3600, "validity": 4, "cap_period": 86400}
    return AllianceConfig.model_validate({
        "programs": {key: base | program for key, program in programs.items()},
        "routes": routes or [],
    })


def fresh(config: AllianceConfig) -> ChainState:
    return ChainState(programs={key: ProgramState.fresh(program, DEPLOYER)
                                for key, program in config.programs.items()}, routes={})


def apply(steps: list[Step], state: ChainState) -> ChainState:
    """What the contracts do with each step: the model the plan is checked against."""
    programs = {key: replace(program, merchants=dict(program.merchants), rewards=list(program.rewards))
                for key, program in state.programs.items()}
    routes = dict(state.routes)
    for step in steps:
        program = programs.get(step.program)
        match step:
            case SetMerchant():
                assert program is not None
                program.merchants[step.merchant] = MerchantState(step.cap, step.name)
            case AddReward():
                assert program is not None
                reward = step.reward
                program.rewards.append(RewardState(len(program.rewards) + 1, reward.merchant, reward.name, reward.price,
                                                   reward.stock, True, reward.stock))
            case SetReward():
                assert program is not None
                index = step.reward_id - 1
                current = program.rewards[index]
                # Re-sending the stock that is left sets no new stock.
                last_set = current.stock_last_set if step.stock == current.stock else step.stock
                program.rewards[index] = replace(current, price=step.price, stock=step.stock, active=step.active,
                                                 stock_last_set=last_set)
            case SetTransferable():
                assert program is not None
                programs[step.program] = replace(program, transferable=step.transferable)
            case SetRoute():
                route = routes.get((step.source, step.target), RouteState(0, 0, 0, False))
                kept = route.approved and (route.rate_num, route.rate_den) == (step.rate_num, step.rate_den) \
                    and step.cap <= route.cap
                routes[(step.source, step.target)] = RouteState(step.rate_num, step.rate_den, step.cap, kept)
            case ApproveRoute():
                routes[(step.source, step.target)] = replace(routes[(step.source, step.target)], approved=True)
            case OfferOwnership():
                assert program is not None
                programs[step.program] = replace(program, pending_owner=step.owner)
    return ChainState(programs=programs, routes=routes)


def test_a_fresh_deployment_grants_lists_and_routes_everything():
    config = alliance(
        {"coffee": {"merchants": [{"address": TILLS[0], "cap": 500, "name": "Downtown"}],
                    "rewards": [{"merchant": TILLS[0], "price": 120, "stock": 10, "name": "Free espresso"}]},
         "airline": {"transferable": False}},
        [{"from": "coffee", "to": "airline", "rate_num": 1, "rate_den": 10, "cap": 2000}],
    )

    steps = plan(config, fresh(config)).steps

    assert [step.description for step in steps] == [
        f"merchant {TILLS[0]} (Downtown): may issue 500 per period",
        "reward 'Free espresso': listed at 120 points, stock 10",
        "merchant the partner exchange (Partner exchange): may issue 2,000 per period",
        "route coffee -> airline: 1:10, cap 2,000",
        "route coffee -> airline: approved by coffee's owner",
    ]
    assert steps[2] == SetMerchant("airline", steps[2].description, EXCHANGE, 2000, EXCHANGE_NAME)


def test_a_merchant_left_out_of_the_file_is_revoked_with_its_name():
    config = alliance({"coffee": {"merchants": [{"address": TILLS[0], "cap": 500, "name": "Downtown"}]}})
    state = apply(plan(config, fresh(config)).steps, fresh(config))
    state.programs["coffee"].merchants[TILLS[1]] = MerchantState(300, "Kiosk")

    steps = plan(config, state).steps

    assert steps == [SetMerchant("coffee", f"merchant {TILLS[1]} (Kiosk): revoked, not in the file", TILLS[1], 0,
                                 "Kiosk")]


def test_stock_taken_by_redemptions_is_not_restocked_but_a_new_stock_in_the_file_is_set():
    reward = {"merchant": TILLS[0], "price": 120, "stock": 10, "name": "Free espresso"}
    config = alliance({"coffee": {"merchants": [{"address": TILLS[0], "cap": 500}], "rewards": [reward]}})
    state = apply(plan(config, fresh(config)).steps, fresh(config))
    listed = state.programs["coffee"].rewards[0]
    state.programs["coffee"].rewards[0] = replace(listed, stock=7)  # three redeemed

    assert not plan(config, state)

    restocked = alliance({"coffee": {"merchants": [{"address": TILLS[0], "cap": 500}],
                                     "rewards": [reward | {"stock": 50, "price": 100}]}})
    assert [step.description for step in plan(restocked, state).steps] == [
        "reward #1 'Free espresso': price 120 -> 100, stock 7 -> 50"
    ]
    # A new stock alone is a change too (hypothesis found it missed: 0 listed, 1 wanted).
    stock_only = alliance({"coffee": {"merchants": [{"address": TILLS[0], "cap": 500}],
                                      "rewards": [reward | {"stock": 50}]}})
    assert [step.description for step in plan(stock_only, state).steps] == ["reward #1 'Free espresso': stock 7 -> 50"]


def test_a_reward_missing_from_the_file_is_left_with_a_note_and_a_retired_one_is_deactivated():
    espresso = {"merchant": TILLS[0], "price": 120, "stock": 10, "name": "Free espresso"}
    combo = {"merchant": TILLS[0], "price": 300, "stock": 5, "name": "Breakfast combo"}
    both = alliance({"coffee": {"merchants": [{"address": TILLS[0], "cap": 500}], "rewards": [espresso, combo]}})
    state = apply(plan(both, fresh(both)).steps, fresh(both))

    only_combo = plan(alliance({"coffee": {"merchants": [{"address": TILLS[0], "cap": 500}], "rewards": [combo]}}),
                      state)
    retired = plan(alliance({"coffee": {"merchants": [{"address": TILLS[0], "cap": 500}],
                                        "rewards": [espresso | {"active": False}, combo]}}), state)

    assert only_combo.steps == []
    assert only_combo.notes == ["coffee: reward #1 'Free espresso' is not in the file: left as it is (to retire it, "
                                "add it with `active: false`)"]
    assert [step.description for step in retired.steps] == ["reward #1 'Free espresso': deactivated"]


def test_a_removed_route_is_closed_and_new_terms_are_approved_again():
    routes = [{"from": "coffee", "to": "airline", "rate_num": 1, "rate_den": 10, "cap": 2000},
              {"from": "airline", "to": "coffee", "rate_num": 3, "rate_den": 1, "cap": 900}]
    config = alliance({"coffee": {}, "airline": {}}, routes)
    state = apply(plan(config, fresh(config)).steps, fresh(config))

    steps = plan(alliance({"coffee": {}, "airline": {}}, [routes[0] | {"rate_num": 2}]), state).steps

    assert [step.description for step in steps] == [
        "merchant the partner exchange (Partner exchange): revoked, not in the file",
        "route coffee -> airline: 2:10, cap 2,000",
        "route coffee -> airline: approved by coffee's owner",
        "route airline -> coffee: closed (cap 0), not in the file",
    ]


addresses = st.sampled_from(TILLS)
merchant_files = st.dictionaries(addresses, st.tuples(st.integers(1, 10**6), st.sampled_from(["", "A", "B"])),
                                 max_size=3)
reward_files = st.dictionaries(st.sampled_from(REWARD_NAMES),
                               st.tuples(st.integers(1, 1000), st.integers(0, 100), st.booleans()), max_size=3)
route_files = st.dictionaries(st.sampled_from([("coffee", "airline"), ("airline", "coffee")]),
                              st.tuples(st.integers(1, 5), st.integers(1, 5), st.integers(1, 10**6)), max_size=2)


@st.composite
def alliance_files(draw) -> AllianceConfig:
    programs = {}
    for key in PROGRAMS:
        merchants = draw(merchant_files)
        rewards = draw(reward_files) if merchants else {}
        programs[key] = {
            "transferable": draw(st.booleans()),
            "owner": draw(st.sampled_from([None, DEPLOYER, TILLS[3]])),
            "merchants": [{"address": address, "cap": cap, "name": name}
                          for address, (cap, name) in merchants.items()],
            "rewards": [{"merchant": draw(st.sampled_from(sorted(merchants))), "price": price, "stock": stock,
                         "active": active, "name": name} for name, (price, stock, active) in rewards.items()],
        }
    routes = [{"from": source, "to": target, "rate_num": num, "rate_den": den, "cap": cap}
              for (source, target), (num, den, cap) in draw(route_files).items()]
    return alliance(programs, routes)


def redeemed(state: ChainState, taken: int) -> ChainState:
    """Customers redeem: every reward's stock falls, its last set stock does not."""
    programs = {key: replace(program, rewards=[replace(reward, stock=max(0, reward.stock - taken))
                                               for reward in program.rewards])
                for key, program in state.programs.items()}
    return ChainState(programs=programs, routes=state.routes)


@settings(max_examples=150, deadline=None)
@given(alliance_files(), alliance_files(), st.integers(0, 5))
def test_after_any_history_one_plan_makes_the_chain_match_the_file(before, after, taken):
    state = redeemed(apply(plan(before, fresh(before)).steps, fresh(before)), taken)

    converged = apply(plan(after, state).steps, state)

    assert plan(after, converged).steps == []
    for key, program in after.programs.items():
        on_chain = converged.programs[key]
        wanted = {merchant.address: merchant.cap for merchant in program.merchants}
        assert {address: merchant.cap for address, merchant in on_chain.merchants.items()
                if merchant.cap and address != EXCHANGE} == wanted
        assert on_chain.transferable == program.transferable
        for reward in program.rewards:
            matching = [listed for listed in on_chain.rewards if listed.name == reward.name]
            if matching and matching[-1].merchant == reward.merchant:
                assert (matching[-1].price, matching[-1].active) == (reward.price, reward.active)
                assert reward.stock in (matching[-1].stock, matching[-1].stock_last_set)
            else:
                assert not reward.active, "an active reward of the file is listed"
    for route in after.routes:
        current = converged.routes[(route.source, route.target)]
        assert current == RouteState(route.rate_num, route.rate_den, route.cap, True)
    wanted_routes = {(route.source, route.target) for route in after.routes}
    assert all(route.cap == 0 for pair, route in converged.routes.items() if pair not in wanted_routes)
