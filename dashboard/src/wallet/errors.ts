// One clear line for whatever went wrong with a wallet, a transaction or the relayer.

import { BaseError, ContractFunctionRevertedError, UserRejectedRequestError } from "viem";
import { InputError } from "./input";

export function explain(error: unknown): string {
  if (error instanceof InputError) return error.message;
  if (error instanceof BaseError) {
    if (error.walk((cause) => cause instanceof UserRejectedRequestError)) {
      return "You declined in your wallet: nothing was sent.";
    }
    const reverted = error.walk((cause) => cause instanceof ContractFunctionRevertedError);
    if (reverted instanceof ContractFunctionRevertedError) {
      return `The chain refused it, nothing changed: ${reverted.reason ?? reverted.shortMessage}`;
    }
    return error.shortMessage;
  }
  return error instanceof Error ? error.message : String(error);
}
