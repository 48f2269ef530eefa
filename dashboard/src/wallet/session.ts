// The connected wallet: its account, and viem clients that talk to the chain through it (the page
// has no RPC of its own). Reads the API does not have (caps left, allowances, nonces) and every
// transaction go through the wallet's provider.

import {
  createPublicClient, createWalletClient, custom, defineChain, getAddress, type Abi, type Address, type Chain,
  type ContractFunctionArgs, type ContractFunctionName, type Hash, type PublicClient,
  type WalletClient, type WriteContractParameters,
} from "viem";
import type { AppConfig } from "../config";
import type { DiscoveredWallet } from "./discovery";

// Anvil mines at once; a public chain's block every few seconds: a receipt is looked for twice a second.
const POLLING_MS = 500;

export type SessionState = "disconnected" | "wrong-chain" | "ready";

/** A mined transaction: its hash and the block that holds it. */
export interface Sent {
  hash: Hash;
  block: bigint;
}

export class WalletSession {
  account: Address | null = null;
  chainId: number | null = null;
  wallet: DiscoveredWallet | null = null;
  readonly chain: Chain;
  private readonly listeners = new Set<() => void>();
  private publicClient: PublicClient | null = null;
  private walletClient: WalletClient | null = null;

  constructor(readonly config: AppConfig) {
    this.chain = defineChain({
      id: config.chain_id,
      name: `chain ${config.chain_id}`,
      nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
      rpcUrls: { default: { http: [] } },
    });
  }

  get state(): SessionState {
    if (!this.account) return "disconnected";
    return this.chainId === this.config.chain_id ? "ready" : "wrong-chain";
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Asks the wallet for its account (the wallet's own prompt) and listens to its changes. */
  async connect(wallet: DiscoveredWallet): Promise<void> {
    const provider = wallet.provider;
    const accounts = await provider.request({ method: "eth_requestAccounts" });
    if (!accounts.length) throw new Error("The wallet shared no account.");
    this.wallet?.provider.removeListener?.("accountsChanged", this.onAccounts);
    this.wallet?.provider.removeListener?.("chainChanged", this.onChain);
    this.wallet = wallet;
    const transport = custom(provider);
    this.publicClient = createPublicClient({ chain: this.chain, transport, pollingInterval: POLLING_MS });
    this.walletClient = createWalletClient({ chain: this.chain, transport, pollingInterval: POLLING_MS });
    this.account = getAddress(accounts[0]);
    this.chainId = Number(await provider.request({ method: "eth_chainId" }));
    provider.on?.("accountsChanged", this.onAccounts);
    provider.on?.("chainChanged", this.onChain);
    this.emit();
  }

  disconnect(): void {
    this.account = null;
    this.emit();
  }

  async switchChain(): Promise<void> {
    await this.wallets().switchChain({ id: this.config.chain_id });
    this.chainId = Number(await this.wallet!.provider.request({ method: "eth_chainId" }));
    this.emit();
  }

  /** Public reads through the wallet's node. */
  reader(): PublicClient {
    if (!this.publicClient) throw new Error("Connect a wallet first.");
    return this.publicClient;
  }

  /** The connected account, checked to be on the deployment's chain. */
  signer(): { client: WalletClient; account: Address } {
    if (!this.walletClient || !this.account) throw new Error("Connect a wallet first.");
    if (this.state === "wrong-chain") throw new Error(`Switch the wallet to chain ${this.config.chain_id} first.`);
    return { client: this.walletClient, account: this.account };
  }

  /**
   * Sends a contract call once an `eth_call` of it has succeeded, and waits for its receipt: a call
   * the chain would refuse never reaches the wallet, and its reason is what the page shows.
   */
  async send<const abi extends Abi, name extends ContractFunctionName<abi, "nonpayable">>(
    call: { address: Address; abi: abi; functionName: name; args: ContractFunctionArgs<abi, "nonpayable", name> },
  ): Promise<Sent> {
    const { client, account } = this.signer();
    const { request } = await this.reader().simulateContract({ ...call, account });
    // Inside this generic function TypeScript cannot relate the simulated request's type to
    // writeContract's parameters; the call itself is type-checked where `send` is called.
    const hash = await client.writeContract(request as unknown as WriteContractParameters);
    const receipt = await this.reader().waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`The transaction ${hash} reverted: nothing changed.`);
    return { hash, block: receipt.blockNumber };
  }

  private wallets(): WalletClient {
    if (!this.walletClient) throw new Error("Connect a wallet first.");
    return this.walletClient;
  }

  private readonly onAccounts = (accounts: readonly string[]): void => {
    this.account = accounts.length ? getAddress(accounts[0]) : null;
    this.emit();
  };

  private readonly onChain = (chainId: string): void => {
    this.chainId = Number(chainId);
    this.emit();
  };

  private emit(): void {
    for (const listener of this.listeners) listener();
  }
}
