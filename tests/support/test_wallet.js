// A browser wallet for tests, added to the page before its scripts run (Playwright's
// add_init_script). It is an EIP-1193 provider that answers the account requests itself and
// forwards every other JSON-RPC request to Anvil, whose development accounts are unlocked, so that
// eth_sendTransaction and eth_signTypedData_v4 are signed by the node. It announces itself by
// EIP-6963, as an installed extension does. `window.testWallet` lets a test pick the account,
// refuse a prompt as a user would (the next one, or the one after `skip` others), or pretend to be
// on another chain.
(() => {
  const settings = window.__testWalletSettings;
  const listeners = {};
  const state = { account: settings.account, rejectIn: null, chainId: null };
  const prompts = new Set(["eth_sendTransaction", "eth_signTypedData_v4", "eth_requestAccounts"]);
  let id = 0;

  function emit(event, value) {
    for (const listener of listeners[event] || []) listener(value);
  }

  async function forward(method, params) {
    const response = await fetch(settings.rpc, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: ++id, method, params: params || [] }),
    });
    const body = await response.json();
    if (body.error) {
      const error = new Error(body.error.message);
      error.code = body.error.code;
      error.data = body.error.data;
      throw error;
    }
    return body.result;
  }

  const provider = {
    async request({ method, params }) {
      if (prompts.has(method) && state.rejectIn !== null) {
        if (state.rejectIn === 0) {
          state.rejectIn = null;
          const error = new Error("User rejected the request.");
          error.code = 4001;
          throw error;
        }
        state.rejectIn -= 1;
      }
      switch (method) {
        case "eth_requestAccounts":
        case "eth_accounts":
          return [state.account];
        case "eth_chainId":
          return state.chainId ?? forward(method, params);
        case "wallet_switchEthereumChain": {
          state.chainId = null;
          const chainId = await forward("eth_chainId", []);
          if (BigInt(params[0].chainId) !== BigInt(chainId)) {
            const error = new Error("Unrecognized chain ID.");
            error.code = 4902;
            throw error;
          }
          emit("chainChanged", chainId);
          return null;
        }
        case "eth_signTypedData_v4":
          // Wallets take the typed data as a JSON string (MetaMask's form); Anvil wants the object.
          return forward(method, [params[0], typeof params[1] === "string" ? JSON.parse(params[1]) : params[1]]);
        default:
          return forward(method, params);
      }
    },
    on(event, listener) {
      (listeners[event] ||= []).push(listener);
    },
    removeListener(event, listener) {
      listeners[event] = (listeners[event] || []).filter((other) => other !== listener);
    },
  };

  window.testWallet = {
    useAccount(account) {
      state.account = account;
      emit("accountsChanged", [account]);
    },
    rejectPrompt(skip = 0) {
      state.rejectIn = skip;
    },
    pretendChain(chainId) {
      state.chainId = chainId;
      emit("chainChanged", chainId);
    },
  };

  const info = Object.freeze({
    uuid: "5a1d7d0c-3c1e-4c1b-9d7a-7e57a11e7001",
    name: "Test Wallet",
    icon: "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='1' height='1'/%3E",
    rdns: "org.example.testwallet",
  });
  const announce = () => window.dispatchEvent(new CustomEvent("eip6963:announceProvider",
    { detail: Object.freeze({ info, provider }) }));
  window.addEventListener("eip6963:requestProvider", announce);
  announce();
})();
