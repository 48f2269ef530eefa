// Finding the browser's wallets: EIP-6963 (each installed wallet announces itself, so several can
// live side by side), with the legacy `window.ethereum` (EIP-1193) when none announces.

import type { EIP1193Provider } from "viem";

export interface WalletInfo {
  uuid: string;
  name: string;
  icon: string;
  rdns: string;
}

export interface DiscoveredWallet {
  info: WalletInfo;
  provider: EIP1193Provider;
}

interface AnnounceEvent extends Event {
  detail: DiscoveredWallet;
}

const LEGACY: WalletInfo = { uuid: "window.ethereum", name: "Browser wallet", icon: "", rdns: "" };

export class WalletDirectory {
  private readonly announced = new Map<string, DiscoveredWallet>();
  private readonly listeners = new Set<() => void>();

  constructor() {
    window.addEventListener("eip6963:announceProvider", (event) => {
      const { info, provider } = (event as AnnounceEvent).detail ?? {};
      if (!info?.uuid || typeof provider?.request !== "function") return;
      this.announced.set(info.uuid, { info, provider });
      for (const listener of this.listeners) listener();
    });
    window.dispatchEvent(new Event("eip6963:requestProvider"));
  }

  /** The announced wallets; `window.ethereum` alone when none announced itself. */
  wallets(): DiscoveredWallet[] {
    if (this.announced.size) return [...this.announced.values()];
    const legacy = (window as { ethereum?: EIP1193Provider }).ethereum;
    return legacy && typeof legacy.request === "function" ? [{ info: LEGACY, provider: legacy }] : [];
  }

  onChange(listener: () => void): void {
    this.listeners.add(listener);
  }
}
