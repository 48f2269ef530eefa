// The header's wallet control: the wallets the browser announced (EIP-6963) to connect with, the
// connected account, and a switch when the wallet is on another chain than the deployment's.

import { h, replaceChildren } from "../dom";
import { shortHex } from "../format";
import type { WalletDirectory } from "../wallet/discovery";
import { explain } from "../wallet/errors";
import type { WalletSession } from "../wallet/session";

export class WalletBar {
  private session: WalletSession | null = null;
  private problem = "";

  constructor(private readonly element: HTMLElement, private readonly directory: WalletDirectory) {
    directory.onChange(() => this.render());
    this.render();
  }

  attach(session: WalletSession): void {
    this.session = session;
    session.onChange(() => this.render());
    this.render();
  }

  private render(): void {
    const session = this.session;
    const problem = this.problem ? h("span", { class: "error-text", role: "alert" }, this.problem) : null;
    if (!session) {
      replaceChildren(this.element);
      return;
    }
    if (session.account) {
      const wrongChain = session.state === "wrong-chain"
        ? h("button", { type: "button", class: "switch-chain", onclick: () => void this.attempt(() => session.switchChain()) },
          `Switch to chain ${session.config.chain_id}`)
        : null;
      replaceChildren(this.element,
        h("span", { class: "connected", title: session.account, "data-account": session.account },
          `${session.wallet?.info.name ?? "Wallet"}: ${shortHex(session.account)}`),
        wrongChain,
        h("button", { type: "button", class: "secondary", onclick: () => session.disconnect() }, "Disconnect"),
        problem);
      return;
    }
    const wallets = this.directory.wallets();
    replaceChildren(this.element,
      ...(wallets.length
        ? wallets.map((wallet) => h("button", { type: "button", class: "connect", "data-wallet": wallet.info.rdns,
          onclick: () => void this.attempt(() => session.connect(wallet)) },
          wallet.info.icon ? h("img", { src: wallet.info.icon, alt: "", width: 18, height: 18 }) : null,
          ` Connect ${wallet.info.name}`))
        : [h("span", { class: "muted" }, "No wallet in this browser: paste an address to look")]),
      problem);
  }

  private async attempt(action: () => Promise<void>): Promise<void> {
    this.problem = "";
    try {
      await action();
    } catch (error) {
      this.problem = explain(error);
    }
    this.render();
  }
}
