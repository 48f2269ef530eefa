// Links to accounts (inside the dashboard) and to transactions (on a block explorer, if any).

import { h } from "./dom";
import { shortHex } from "./format";

// A local chain has no explorer, so transactions show as hashes unless the page's URL names one:
// `/?explorer=https://sepolia.etherscan.io`. Only http(s) is accepted, never a script URL.
const explorer = ((): string | null => {
  const setting = new URLSearchParams(location.search).get("explorer");
  if (!setting) return null;
  try {
    const url = new URL(setting);
    return url.protocol === "https:" || url.protocol === "http:" ? url.href.replace(/\/+$/, "") : null;
  } catch {
    return null;
  }
})();

export function accountHref(address: string): string {
  return `#/account/${address}`;
}

export function accountLink(address: string, label: string = shortHex(address)): HTMLAnchorElement {
  return h("a", { href: accountHref(address), class: "address", title: address, "data-account": address }, label);
}

/** A merchant (or any named account): its name linking to the account, over its short address. */
export function namedAccount(address: string, name: string | null): HTMLElement {
  if (!name) return accountLink(address);
  return h("span", { class: "named" }, accountLink(address, name), h("small", { class: "muted" }, shortHex(address)));
}

/** A reward by name, its id in the tooltip; by id when it has no name. */
export function rewardLabel(rewardId: number | null, name: string | null): HTMLElement {
  const id = `reward #${rewardId ?? "?"}`;
  return name ? h("span", { class: "reward", title: id }, name) : h("span", { class: "reward" }, id);
}

export function txLink(hash: string | null): Node {
  if (hash === null) return h("span", { class: "muted", title: "expiries happen with time, not in a transaction" }, "—");
  if (explorer) {
    return h("a", { href: `${explorer}/tx/${hash}`, target: "_blank", rel: "noopener", class: "tx", title: hash },
      shortHex(hash));
  }
  return h("span", { class: "tx" }, h("code", { title: hash, "data-tx": hash }, shortHex(hash)), copyButton(hash));
}

/** A button that copies `text`; absent where the browser keeps the clipboard from the page (plain http). */
export function copyButton(text: string): HTMLButtonElement | null {
  if (!navigator.clipboard) return null;
  const button = h("button", { type: "button", class: "copy", "aria-label": `copy ${text}` }, "copy");
  button.addEventListener("click", async () => {
    await navigator.clipboard.writeText(text);
    button.textContent = "copied";
    setTimeout(() => (button.textContent = "copy"), 1200);
  });
  return button;
}
