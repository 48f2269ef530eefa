"""The member app and the merchant console in a real browser, acting on a real chain.

One demo chain, indexer, API (with the exchange from the manifest) and the Downtown till's relayer
serve the module; one Chromium page carries a test wallet
(tests/support/test_wallet.js) that announces itself by EIP-6963 and forwards to Anvil's unlocked
accounts, so every signature and transaction is real. Each action is checked against the chain.
"""

import csv
import json
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from eth_utils import keccak, to_checksum_address
from playwright.sync_api import Page, expect

from chain.calldata import calldata
from points.airdrop import Grant, plan_chunks
from points.manifest import Manifest
from points.settings import REPO_ROOT
from tests.support.services import Node, free_port
from tests.support.system import STARTUP_SECONDS, Api, Service, browser_page, indexed_api

TEST_WALLET = REPO_ROOT / "tests" / "support" / "test_wallet.js"
# Anvil's development accounts: 1 is the coffee chain's "Downtown store" till (config/alliance.yaml),
# 8 and 9 hold no role and receive nothing from the demo.
DOWNTOWN = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
CUSTOMER = "0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f"
FRIEND = "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720"
STARTING_BEAN = 2_000
ESPRESSO = "Free espresso"
PHONE = {"width": 390, "height": 844}


@dataclass(frozen=True)
class System:
    node: Node
    manifest: Manifest
    manifest_file: Path
    api: Api
    relayer_url: str

    def token(self, key: str) -> str:
        return self.manifest.programs[key].address

    def balance(self, key: str, account: str) -> int:
        return self.node.read(self.token(key), "balanceOf(address)", account)

    def wait_indexed(self) -> None:
        self.api.wait_for_block(self.node.block_number())


@pytest.fixture(scope="module")
def system(demo_chain, tmp_path_factory) -> Iterator[System]:
    node, manifest_file = demo_chain.node, demo_chain.manifest_file
    directory = tmp_path_factory.mktemp("wallet-apps")
    # The customer starts with coffee points from the Downtown till, so that it has an account.
    coffee = demo_chain.manifest.programs["coffee"].address
    node.transact(DOWNTOWN, coffee, calldata("mint(address,uint256,bytes32)", CUSTOMER, STARTING_BEAN, b"\0" * 32))
    # The API tells the page where the relayer is, and the relayer admits the page's origin (the
    # API's): each needs the other's address, so the relayer's port is chosen first.
    relayer_url = f"http://127.0.0.1:{free_port()}"
    with indexed_api(node, manifest_file, directory,
                     "--relayer-url", relayer_url) as api:
        relayer = _start_relayer(node, manifest_file, directory, relayer_url, api.url)
        try:
            yield System(node, demo_chain.manifest, manifest_file, api, relayer_url)
        finally:
            relayer.stop()


def _start_relayer(node: Node, manifest: Path, directory: Path, url: str, page_origin: str) -> Service:
    """The Downtown till's relayer (it relays redemptions of its own rewards), confirming at once: Anvil
    mines only when there are transactions."""
    service = Service(directory / "relayer.log", "-m", "relayer", "--host", "127.0.0.1",
                      "--port", url.rsplit(":", 1)[1], "--account", "TEST::1", "--manifest", str(manifest),
                      "--db", f"sqlite:///{directory / 'relayer.db'}", "--rpc", node.url,
                      environment={"POINTS_RELAYER_CORS_ORIGINS": json.dumps([page_origin]),
                                   "POINTS_RELAYER_CONFIRMATIONS": "0"})
    for _ in range(STARTUP_SECONDS * 5):
        service.check()
        try:
            if httpx.get(f"{url}/v1/health", timeout=1).status_code == 200:
                return service
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"the relayer did not answer within {STARTUP_SECONDS} s")


@pytest.fixture(scope="module")
def page(browser_executable, system) -> Iterator[Page]:
    """One page for the module, its wallet holding the customer's account until a test switches it."""
    settings = {"rpc": system.node.url, "account": CUSTOMER}
    with browser_page(browser_executable, f"{system.api.url}/#/member", {"width": 1280, "height": 900},
                      f"window.__testWalletSettings = {json.dumps(settings)};", TEST_WALLET) as opened:
        yield opened


def points(value: int | str) -> str:
    return f"{int(value):,}"


def use_account(page: Page, account: str) -> None:
    page.evaluate("account => window.testWallet.useAccount(account)", account)
    expect(page.locator("#wallet .connected")).to_have_attribute("data-account", account)


def status_of(page: Page, section: str):
    return page.locator(f"section.{section} .action-status")


def reward(system: System, key: str, name: str) -> dict:
    return next(item for item in system.api.items("/rewards", program=system.token(key)) if item["name"] == name)


def test_connect_by_eip6963_and_switch_to_the_deployments_chain(system, page, screenshots):
    connect = page.locator("#wallet button.connect")
    expect(connect).to_have_text("Connect Test Wallet")
    expect(page.locator(".connect-prompt")).to_contain_text("Connect a wallet")

    connect.click()

    expect(page.locator("#wallet .connected")).to_have_attribute("data-account", CUSTOMER)
    card = page.locator("section.my-points .card[data-program=coffee]")
    expect(card.locator("[data-field=balance]")).to_have_text(points(system.balance("coffee", CUSTOMER)))
    # A wallet on another chain is offered the switch, and acts nowhere until it has switched.
    page.evaluate("window.testWallet.pretendChain('0x1')")
    switch = page.locator("#wallet button.switch-chain")
    expect(switch).to_have_text(f"Switch to chain {system.manifest.chain_id}")
    expect(page.locator(".connect-prompt")).to_contain_text("another chain")
    switch.click()
    expect(switch).to_have_count(0)
    expect(card.locator("[data-field=balance]")).to_have_text(points(system.balance("coffee", CUSTOMER)))
    page.screenshot(path=screenshots / "member.png", full_page=True)


def test_points_expiring_within_30_days_are_flagged_read_only(system, page, screenshots):
    account, expiry = _an_account_with_points_expiring_soon(system)

    page.goto(f"{system.api.url}/#/member/{account.lower()}")

    expect(page.locator("[data-field=read-only]")).to_be_visible()
    warning = page.locator(f"section.my-points .card[data-program={expiry['key']}] [data-field=expiry-warning]")
    expires = datetime.fromisoformat(expiry["next_expiry"]["expires_at"])
    expect(warning).to_contain_text(f"{points(expiry['next_expiry']['amount'])} {expiry['symbol']} expire on "
                                    f"{expires:%b} {expires.day}, {expires.year}")
    expect(page.locator("section.catalog button.redeem")).to_have_count(0)
    page.screenshot(path=screenshots / "member-read-only.png", full_page=True)


def _an_account_with_points_expiring_soon(system: System) -> tuple[str, dict]:
    for program in system.api.items("/programs"):
        for holder in system.api.items(f"/programs/{program['address']}/holders", limit=50):
            account = system.api(f"/accounts/{holder['account']}")
            as_of = datetime.fromisoformat(account["as_of"])
            for entry in account["programs"]:
                nxt = entry["next_expiry"]
                if nxt and datetime.fromisoformat(nxt["expires_at"]) - as_of <= timedelta(days=30):
                    return holder["account"], entry
    raise AssertionError("the demo left no points expiring within 30 days")


def test_catalog_redeems_directly_with_a_transaction(system, page, screenshots):
    page.goto(f"{system.api.url}/#/member")
    espresso = reward(system, "coffee", ESPRESSO)
    price, stock = int(espresso["price"]), int(espresso["stock"])
    before = system.balance("coffee", CUSTOMER)
    row = page.locator(f"section.catalog tr[data-reward='{espresso['reward_id']}'][data-program=BEAN]")
    expect(row.locator("[data-field=merchant]")).to_have_text("Downtown store")
    expect(row.locator("[data-field=covered]")).to_have_text("covered")
    pay_gas = page.locator("input[name=pay-gas]")
    pay_gas.check()
    expect(pay_gas).to_be_checked()

    row.locator("button.redeem").click()

    expect(status_of(page, "catalog")).to_have_text(f"Redeemed {ESPRESSO} for {price} BEAN.")
    assert system.balance("coffee", CUSTOMER) == before - price
    assert system.node.read(system.token("coffee"), "rewards(uint256)", espresso["reward_id"]) is not None
    card = page.locator("section.my-points .card[data-program=coffee]")
    expect(card.locator("[data-field=balance]")).to_have_text(points(before - price))
    expect(row.locator("[data-field=stock]")).to_have_text(points(stock - 1))
    expect(page.locator("section.member-history tbody tr").first.locator("[data-field=what]")).to_have_text(
        f"{ESPRESSO} at Downtown store")


def test_a_declined_prompt_sends_nothing(system, page):
    espresso = reward(system, "coffee", ESPRESSO)
    before = system.balance("coffee", CUSTOMER)
    page.evaluate("window.testWallet.rejectPrompt()")

    page.locator(f"section.catalog tr[data-reward='{espresso['reward_id']}'][data-program=BEAN] button.redeem").click()

    expect(status_of(page, "catalog")).to_have_text("You declined in your wallet: nothing was sent.")
    assert system.balance("coffee", CUSTOMER) == before


def test_catalog_redeems_gasless_through_the_relayer(system, page):
    espresso = reward(system, "coffee", ESPRESSO)
    price = int(espresso["price"])
    before = system.balance("coffee", CUSTOMER)
    eth_before = int(system.node.chain.request("eth_getBalance", CUSTOMER, "latest"), 16)
    page.locator("input[name=pay-gas]").uncheck()

    page.locator(f"section.catalog tr[data-reward='{espresso['reward_id']}'][data-program=BEAN] button.redeem").click()

    expect(status_of(page, "catalog")).to_have_text(
        f"Redeemed {ESPRESSO} for {price} BEAN, gas paid by the relayer.", timeout=60_000)
    assert system.balance("coffee", CUSTOMER) == before - price
    # The customer signed; the relayer paid.
    assert int(system.node.chain.request("eth_getBalance", CUSTOMER, "latest"), 16) == eth_before
    expect(page.locator("section.my-points .card[data-program=coffee] [data-field=balance]")).to_have_text(
        points(before - price))


def test_exchange_gasless_after_a_one_time_allowance(system, page):
    bean, mile = system.balance("coffee", CUSTOMER), system.balance("airline", CUSTOMER)
    page.locator("input[name=pay-gas]").uncheck()
    convert(page, system, "coffee", "airline", 30)
    page.locator("section.exchange button[type=submit]").click()

    expect(status_of(page, "exchange")).to_have_text("Converted 30 BEAN into 3 MILE.", timeout=60_000)
    assert (system.balance("coffee", CUSTOMER), system.balance("airline", CUSTOMER)) == (bean - 30, mile + 3)


def convert(page: Page, system: System, source: str, target: str, amount: int) -> None:
    page.locator("select[name=route]").select_option(f"{system.token(source)}>{system.token(target)}")
    page.locator("input[name=amount-in]").fill(str(amount))


def test_exchange_with_a_permit_quotes_first(system, page, screenshots):
    bean, mile = system.balance("coffee", CUSTOMER), system.balance("airline", CUSTOMER)
    page.locator("input[name=pay-gas]").check()

    # 10 BEAN buy 1 MILE: of 25, 20 are burnt for 2 MILE and 5 stay.
    convert(page, system, "coffee", "airline", 25)

    quote = page.locator("section.exchange .quote")
    expect(quote.locator("[data-field=burnt]")).to_have_text("20 BEAN")
    expect(quote.locator("[data-field=issued]")).to_have_text("2 MILE")
    expect(quote.locator("[data-field=kept]")).to_have_text("5 BEAN")
    expect(page.locator("input[name=min-out]")).to_have_value("2")
    page.locator("input[name=min-out]").fill("3")
    page.locator("section.exchange button[type=submit]").click()
    expect(status_of(page, "exchange")).to_contain_text("fewer than the 3 you accept")
    assert system.balance("coffee", CUSTOMER) == bean

    page.locator("input[name=min-out]").fill("2")
    page.locator("section.exchange button[type=submit]").click()

    expect(status_of(page, "exchange")).to_have_text("Converted 20 BEAN into 2 MILE.")
    assert (system.balance("coffee", CUSTOMER), system.balance("airline", CUSTOMER)) == (bean - 20, mile + 2)
    history = page.locator("section.member-history [data-field=what]")
    expect(history.filter(has_text="Converted into 2 MILE")).to_have_count(1)
    expect(history.filter(has_text="Converted from 20 BEAN")).to_have_count(1)
    page.screenshot(path=screenshots / "member-exchange.png", full_page=True)


def test_gift_checks_the_address_and_the_amount_first(system, page):
    before = system.balance("coffee", CUSTOMER)
    form = page.locator("form.gift")
    expect(form.locator("select[name=gift-program] option")).to_have_text(["BEAN"])  # miles do not move
    for recipient, amount, message in (
        ("0x1234", "5", "0x followed by 40 hexadecimal digits"),
        (FRIEND.replace("0xa0", "0xA0"), "5", "fails its checksum"),
        (FRIEND, "1.5", "whole number of points"),
        (FRIEND, "0", "at least 1"),
        (FRIEND, str(before + 1), f"You hold {points(before)} BEAN"),
    ):
        form.locator("input[name=recipient]").fill(recipient)
        form.locator("input[name=gift-amount]").fill(amount)
        form.locator("button[type=submit]").click()
        expect(status_of(page, "gift")).to_contain_text(message)
    assert system.balance("coffee", CUSTOMER) == before

    form.locator("input[name=recipient]").fill(FRIEND)
    form.locator("input[name=gift-amount]").fill("40")
    form.locator("button[type=submit]").click()

    expect(status_of(page, "gift")).to_have_text(f"Gave 40 BEAN to {FRIEND}.")
    assert system.balance("coffee", CUSTOMER) == before - 40
    assert system.balance("coffee", FRIEND) == 40
    expect(page.locator("section.member-history [data-field=what]").first).to_contain_text("Given to")


def issued_refs(system: System, key: str, merchant: str) -> list[bytes]:
    """The refs of `merchant`'s `Issued` events on `key`'s token, oldest first."""
    topic = "0x" + keccak(text="Issued(address,address,uint256,uint256,bytes32)").hex()
    merchant_topic = "0x" + "0" * 24 + merchant[2:].lower()
    logs = system.node.chain.logs(system.token(key), [topic, merchant_topic], system.manifest.start_block)
    return [bytes.fromhex(log["data"][2:])[64:96] for log in logs]


def mintable(system: System) -> int:
    return system.node.read(system.token("coffee"), "mintable(address)", DOWNTOWN)


def test_merchant_issues_within_its_cap_with_a_hashed_reference(system, page, screenshots):
    # The console first: the member app would look up the till's account, which never held points (a 404).
    page.goto(f"{system.api.url}/#/merchant")
    use_account(page, DOWNTOWN)
    caps = page.locator("section.caps tr[data-program=coffee]")
    coffee = system.token("coffee")
    expect(caps.locator("[data-field=left]")).to_have_text(points(mintable(system)))
    system.api.wait_for_block(system.node.block_number())
    (own,) = system.api.items("/merchants", merchant=DOWNTOWN, program="coffee")
    expect(caps.locator("[data-field=issued]")).to_have_text(points(own["issued"]))
    form = page.locator("form.issue")
    form.locator("select[name=issue-program]").select_option(coffee)
    form.locator("input[name=customer]").fill(CUSTOMER)
    form.locator("input[name=reference]").fill("order 1234, Jane Doe")
    form.locator("input[name=issue-amount]").fill(str(mintable(system) + 1))
    form.locator("button[type=submit]").click()
    expect(status_of(page, "issue")).to_contain_text("left this period")
    before = system.balance("coffee", CUSTOMER)

    form.locator("input[name=issue-amount]").fill("75")
    form.locator("button[type=submit]").click()

    expect(status_of(page, "issue")).to_have_text(f"Issued 75 BEAN to {CUSTOMER}.")
    assert system.balance("coffee", CUSTOMER) == before + 75
    assert issued_refs(system, "coffee", DOWNTOWN)[-1] == keccak(text="order 1234, Jane Doe")
    expect(caps.locator("[data-field=left]")).to_have_text(points(mintable(system)))
    expect(caps.locator("[data-field=issued]")).to_have_text(points(int(own["issued"]) + 75))
    page.screenshot(path=screenshots / "merchant.png", full_page=True)


def test_merchant_airdrops_a_csv_in_chunks_that_resume(system, page, tmp_path):
    recipients = [to_checksum_address("0x" + secrets.token_hex(20)) for _ in range(257)]
    campaign = tmp_path / "member-day.csv"
    with campaign.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["address", "amount"])
        writer.writerows([address, 3] for address in recipients)
    form = page.locator("form.airdrop")
    form.locator("select[name=airdrop-program]").select_option(system.token("coffee"))
    form.locator("input[name=campaign-file]").set_input_files(campaign)
    expect(page.locator("section.airdrop p.muted")).to_have_text("257 recipients, 771 points in 2 transaction(s).")
    # The second transaction's prompt is declined: the first chunk is on chain, the second is not.
    page.evaluate("window.testWallet.rejectPrompt(1)")
    form.locator("button[type=submit]").click()
    expect(status_of(page, "airdrop")).to_contain_text("1 of 2 transaction(s) done")
    assert system.balance("coffee", recipients[0]) == 3 and system.balance("coffee", recipients[-1]) == 0

    form.locator("button[type=submit]").click()

    expect(status_of(page, "airdrop")).to_have_text("Issued 3 BEAN in 1 transaction(s); 1 were issued before.")
    balances = system.node.chain.calls([(system.token("coffee"), calldata("balanceOf(address)", address))
                                        for address in recipients])
    assert [words[0] for words in balances] == [3] * len(recipients)
    # The page's refs are points.airdrop's: `ape run airdrop` would find this campaign done.
    expected = plan_chunks([Grant(address, 3) for address in recipients], keccak(campaign.read_bytes()))
    assert issued_refs(system, "coffee", DOWNTOWN)[-2:] == [chunk.ref for chunk in expected]


def test_merchant_edits_and_lists_rewards(system, page, screenshots):
    espresso = reward(system, "coffee", ESPRESSO)
    coffee = system.token("coffee")
    row = page.locator(f"table.merchant-rewards tr[data-reward='{espresso['reward_id']}'][data-program=BEAN]")
    row.locator("input[name=price]").fill("150")
    row.locator("input[name=stock]").fill("4000")
    row.locator("input[name=active]").uncheck()

    row.locator("button").click()

    expect(status_of(page, "merchant-rewards")).to_have_text(f"{ESPRESSO}: 150 BEAN, 4,000 in stock, withdrawn.")
    listed = system.node.chain.calls([(coffee, calldata("rewards(uint256)", espresso["reward_id"]))])[0]
    assert listed[1:] == [150, 4000, 0]
    count = system.node.read(coffee, "reward_count()")

    form = page.locator("form.add-reward")
    form.locator("select[name=reward-program]").select_option(coffee)
    form.locator("input[name=reward-name]").fill("Blueberry muffin")
    form.locator("input[name=reward-price]").fill("80")
    form.locator("input[name=reward-stock]").fill("25")
    form.locator("button[type=submit]").click()

    expect(status_of(page, "merchant-rewards")).to_have_text("Listed Blueberry muffin at 80 BEAN.")
    assert system.node.read(coffee, "reward_count()") == count + 1
    assert system.node.chain.calls([(coffee, calldata("rewards(uint256)", count + 1))])[0][1:] == [80, 25, 1]
    names = page.locator("table.merchant-rewards [data-field=name]")
    expect(names.filter(has_text="Blueberry muffin")).to_have_count(1)
    # Redemptions of its rewards, newest first: the customer's espresso from this module.
    expect(page.locator("section.redemptions tbody tr").first.locator("[data-field=reward]")).to_have_text(ESPRESSO)
    page.screenshot(path=screenshots / "merchant-rewards.png", full_page=True)

    # Back on the customer's side, the withdrawn espresso is gone from the catalog.
    use_account(page, CUSTOMER)
    page.goto(f"{system.api.url}/#/member")
    expect(page.locator("section.catalog [data-field=name]").filter(has_text="Blueberry muffin")).to_have_count(1)
    expect(page.locator("section.catalog [data-field=name]").filter(has_text=ESPRESSO)).to_have_count(0)


def test_on_a_phone_sized_screen_with_the_keyboard(system, page, screenshots):
    page.set_viewport_size(PHONE)
    page.goto(f"{system.api.url}/#/member")
    expect(page.locator("section.my-points .card[data-program=coffee]")).to_be_visible()

    # Nothing wider than the screen but the tables, which scroll inside their sections.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=screenshots / "member-phone.png", full_page=True)
    page.locator("#sections a[href='#/member']").focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{system.api.url}/#/merchant")
    page.screenshot(path=screenshots / "merchant-phone.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
