"""The dashboard's analyst views in a real browser, over a database indexed from demo activity.

The page's numbers are compared with the API's JSON, an account link is followed, and a merchant's
mint shows up without a reload (tests/browser/conftest.py says how the system runs).
"""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from points.manifest import load_manifest
from tests.support.services import Node, ape_run
from tests.support.system import Api, browser_page, indexed_api

# A movement reaches the page within a second or two (the indexer and the feed poll several times a
# second); the margin is for a loaded machine.
LIVE_SECONDS = 30
MINTED = 777
# Rows of the overview's live movements compared with the API's newest movements.
FIRST_MOVEMENTS = 5


@pytest.fixture(scope="module")
def system(demo_chain, tmp_path_factory) -> Iterator[tuple[Node, Path, Api]]:
    """The demo chain, followed by the indexer and served by the API."""
    node, manifest = demo_chain.node, demo_chain.manifest_file
    with indexed_api(node, manifest, tmp_path_factory.mktemp("dashboard")) as api:
        yield node, manifest, api


# Chromium is looked for (and installed) before the chain is set up, so that a missing browser fails fast.
@pytest.fixture(scope="module")
def page(browser_executable, system) -> Iterator[Page]:
    _, _, api = system
    with browser_page(browser_executable, f"{api.url}/", {"width": 1400, "height": 1000}) as opened:
        yield opened


def points(value: int | str) -> str:
    """A number (or the API's decimal string) as the page writes it in the en-US locale."""
    return f"{int(value):,}"


def signed_points(value: str) -> str:
    """A movement's signed amount as the page writes it."""
    return f"{int(value):+,}"


def test_overview_shows_the_apis_numbers(system, page, screenshots):
    _, _, api = system
    programs = api.items("/programs")
    merchants = api.items("/merchants")
    routes = api.items("/exchange/routes")
    settlement = api.items("/exchange/settlement")
    symbols = {program["address"]: program["symbol"] for program in programs}

    for program in programs:
        card = page.locator(f".summary .card[data-program={program['key']}]")
        expect(card.locator("[data-field=total_supply]")).to_have_text(points(program["total_supply"]))
        expect(card.locator("[data-field=holders]")).to_have_text(points(program["holders"]))
        section = page.locator(f"section.program[data-program={program['key']}]")
        holders = api.items(f"/programs/{program['address']}/holders", limit=10)
        expect(section.locator("table.holders [data-field=balance]")).to_have_text(
            [points(holder["balance"]) for holder in holders])
        expect(section.locator("table.holders a").first).to_have_attribute("data-account", holders[0]["account"])
        for merchant in (m for m in merchants if m["program"] == program["address"]):
            row = section.locator(f"table.merchants tr[data-merchant='{merchant['merchant']}']")
            expect(row.locator("[data-field=cap]")).to_have_text(points(int(merchant["cap"])))
            expect(row.locator("[data-field=issued]")).to_have_text(points(merchant["issued"]))
            expect(row.locator("[data-field=redeemed]")).to_have_text(points(merchant["redeemed"]))
            # By its name on chain, the address kept in the tooltip and below.
            expect(row.locator(".named a")).to_have_text(merchant["name"])
            expect(row.locator(".badge")).to_have_count(1 if merchant["role"] == "exchange" else 0)
            expect(row.locator(".named a")).to_have_attribute("title", merchant["merchant"])
            expect(row.locator(".named small")).to_have_text(f"{merchant['merchant'][:6]}…{merchant['merchant'][-4:]}")
        rewards = api.items("/rewards", program=program["address"])
        assert rewards and all(reward["name"] for reward in rewards), "the demo names every reward"
        catalog = section.locator("table.rewards tbody tr")
        expect(catalog.locator("[data-field=name]")).to_have_text([reward["name"] for reward in rewards])
        expect(catalog.locator(".named a")).to_have_text([reward["merchant_name"] for reward in rewards])
        expect(catalog.locator("[data-field=stock]")).to_have_text([points(int(reward["stock"])) for reward in rewards])
        daily = api.items("/stats/daily", program=program["address"])
        expect(section.locator("[data-field=last-supply]")).to_have_text(points(daily[-1]["supply"]))
        expect(section.locator("canvas")).to_have_count(2)

    for route in routes:
        row = page.locator(f"table.routes tr[data-from={symbols[route['from_program']]}]"
                           f"[data-to={symbols[route['to_program']]}]")
        for field in ("volume_in", "volume_out", "exchanges"):
            expect(row.locator(f"[data-field={field}]")).to_have_text(points(route[field]))
    assert any(route["exchanges"] for route in routes), "the demo made no exchange to show"
    for route in routes:
        pair = [entry for entry in settlement
                if (entry["from_program"], entry["to_program"]) == (route["from_program"], route["to_program"])]
        cell = page.locator(f"table.matrix td[data-from={symbols[route['from_program']]}]"
                            f"[data-to={symbols[route['to_program']]}]")
        for field in ("points_burnt", "points_issued"):
            expect(cell.locator(f"[data-field={field}]")).to_have_text(points(sum(int(entry[field]) for entry in pair)))

    # Nothing happens on the chain meanwhile, so the table holds just what the API listed when the page opened.
    newest = api.items("/movements", limit=FIRST_MOVEMENTS)
    first = page.locator(f"section.live tbody tr:nth-child(-n+{FIRST_MOVEMENTS})")
    expect(first.locator("[data-field=amount]")).to_have_text([signed_points(item["amount"]) for item in newest])
    expect(first.locator(".kind")).to_have_text([movement["kind"] for movement in newest])
    expect(first.locator("td:nth-child(2)")).to_have_text([symbols[movement["program"]] for movement in newest])
    assert [link.get_attribute("data-account") for link in first.locator("td:nth-child(5) a").all()] == \
        [movement["account"] for movement in newest]
    page.screenshot(path=screenshots / "overview.png", full_page=True)


def test_a_holder_link_opens_the_account_page(system, page, screenshots):
    _, _, api = system
    link = page.locator("section.program[data-program=coffee] table.holders a").first
    account = link.get_attribute("data-account")

    link.click()

    expect(page).to_have_url(f"{api.url}/#/account/{account}")
    shown = api(f"/accounts/{account}")
    for program in shown["programs"]:
        card = page.locator(f"section.balances .card[data-program={program['key']}]")
        expect(card.locator("h3")).to_have_text(f"{program['name']} {program['symbol']}")
        expect(card.locator("[data-field=balance]")).to_have_text(points(program["balance"]))
        expect(card.locator("table.expiring [data-field=amount]")).to_have_text(
            [points(expiry["amount"]) for expiry in program["expiring"]])
        if program["next_expiry"]:
            expect(card.locator("[data-field=next-expiry]")).to_have_text(points(program["next_expiry"]["amount"]))
            expect(card.locator("table.expiring tbody tr").first).to_have_class("next")
    history = api.items(f"/accounts/{account}/history", limit=100)
    rows = page.locator("section.history tbody tr")
    expect(rows.locator("[data-field=amount]")).to_have_text([signed_points(item["amount"]) for item in history])
    assert [row.get_attribute("data-tx") for row in rows.locator("td:last-child code").all()] == \
        [movement["tx_hash"] for movement in history if movement["tx_hash"]]
    page.screenshot(path=screenshots / "account.png", full_page=True)


def test_a_merchants_account_page_shows_what_it_issued_and_redeemed(system, page):
    _, manifest, api = system
    merchant = next(entry for entry in api.items("/merchants") if int(entry["issued"]) and int(entry["redeemed"]))
    own = api.items("/merchants", merchant=merchant["merchant"])
    symbols = {program["address"]: program["symbol"] for program in api.items("/programs")}

    page.goto(f"{api.url}/#/account/{merchant['merchant']}")

    rows = page.locator("section.as-merchant tbody tr")
    expect(rows).to_have_count(len(own))
    for entry in own:
        row = rows.and_(page.locator(f"[data-program={symbols[entry['program']]}]"))
        expect(row.locator("[data-field=issued]")).to_have_text(points(entry["issued"]))
        expect(row.locator("[data-field=redeemed]")).to_have_text(points(entry["redeemed"]))
    exchange = load_manifest(manifest).exchange.address
    assert {entry["role"] for entry in api.items("/merchants") if entry["merchant"] == exchange} == {"exchange"}


def test_a_redemption_names_its_reward_and_merchant(system, page, screenshots):
    _, _, api = system
    holder = api.items("/redemptions", limit=1)[0]["holder"]
    redeemed = [movement for movement in api.items(f"/accounts/{holder}/history", limit=100)
                if movement["kind"] == "redeemed"]

    page.goto(f"{api.url}/#/account/{holder}")

    rows = page.locator("section.history tbody tr").filter(has=page.locator(".kind.redeemed"))
    expect(rows.locator(".reward")).to_have_text([movement["reward_name"] for movement in redeemed])
    expect(rows.locator(".reward").first).to_have_attribute("title", f"reward #{redeemed[0]['reward_id']}")
    expect(rows.first.locator(".reward ~ a")).to_have_text(redeemed[0]["counterparty_name"])
    expect(rows.first.locator(".reward ~ a")).to_have_attribute("data-account", redeemed[0]["counterparty"])
    page.screenshot(path=screenshots / "account-redemptions.png", full_page=True)


def test_a_mint_appears_without_reloading(system, page, screenshots):
    node, manifest, api = system
    coffee = next(program for program in api.items("/programs") if program["key"] == "coffee")
    account = api.items(f"/programs/{coffee['address']}/holders")[-1]["account"]
    page.goto(f"{api.url}/#/account/{account}")
    expect(page.locator("section.history tbody tr").first).to_be_visible()
    # The feed starts at the newest movement when it connects: a mint before that would not be streamed.
    expect(page.locator("#status .dot.live")).to_be_attached()
    page.evaluate("window.notReloaded = true")

    minted = ape_run(node, "mint", "--manifest", str(manifest), "--program", "coffee", "--to", account,
                     "--amount", str(MINTED), "--ref", "dashboard-test")
    assert minted.code == 0, minted.output

    newest = page.locator("section.history tbody tr").first
    expect(newest.locator("[data-field=amount]")).to_have_text(f"+{MINTED}", timeout=LIVE_SECONDS * 1000)
    balance = next(program for program in api(f"/accounts/{account}")["programs"] if program["key"] == "coffee")
    expect(page.locator("section.balances .card[data-program=coffee] [data-field=balance]")).to_have_text(
        points(balance["balance"]))
    page.screenshot(path=screenshots / "account-live.png", full_page=True)

    page.locator("header .brand").click()
    live_row = page.locator(f"section.live tbody tr:has([data-account='{account}'])").first
    expect(live_row.locator("[data-field=amount]")).to_have_text(f"+{MINTED}")
    # Both the API's newest movements and the feed hold the mint: it is shown once.
    expect(page.locator("section.live tbody tr").filter(has=page.locator(f"td:nth-child(5) [data-account='{account}']"))
           .filter(has=page.locator("[data-field=amount]", has_text=re.compile(rf"^\+{MINTED}$")))).to_have_count(1)
    supply = api(f"/programs/{coffee['address']}")["total_supply"]
    expect(page.locator(".summary .card[data-program=coffee] [data-field=total_supply]")).to_have_text(points(supply))
    assert page.evaluate("window.notReloaded") is True
    page.screenshot(path=screenshots / "overview-live.png", full_page=True)
