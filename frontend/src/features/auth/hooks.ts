import { useEffect, useSyncExternalStore } from "react";
import { isApiError } from "../../api/errors";
import { getToken, subscribeToken } from "../../api/token";
import { isTokenPromptOpen, onTokenSaved, subscribeTokenPrompt } from "./promptStore";

export function useStoredToken(): string | null {
  return useSyncExternalStore(subscribeToken, getToken, () => null);
}

export function useTokenPromptOpen(): boolean {
  return useSyncExternalStore(subscribeTokenPrompt, isTokenPromptOpen, () => false);
}

export function isUnauthorized(error: unknown): boolean {
  return isApiError(error) && error.status === 401;
}

/**
 * Re-runs a mutation that failed with 401 once the user saves a token. A 401 is
 * answered before the server does anything, so running it again cannot duplicate it.
 */
export function useRetryAfterToken(error: unknown, retry: () => void): void {
  const unauthorized = isUnauthorized(error);
  useEffect(() => {
    if (!unauthorized) return;
    return onTokenSaved(retry);
  }, [unauthorized, retry]);
}
