import { MutationCache, QueryCache, QueryClient } from "@tanstack/react-query";
import { isApiError, NETWORK_ERROR_STATUS } from "../api/errors";
import { openTokenPrompt } from "../features/auth/promptStore";

function openPromptOnUnauthorized(error: unknown): void {
  if (isApiError(error) && error.status === 401) openTokenPrompt();
}

/** 4xx answers are final; retry only what may be transient (5xx, network). */
function shouldRetry(failureCount: number, error: unknown): boolean {
  if (!isApiError(error)) return failureCount < 2;
  const transient = error.status === NETWORK_ERROR_STATUS || error.status >= 500;
  return transient && failureCount < 2;
}

export function createQueryClient(options: { retry?: boolean } = {}): QueryClient {
  return new QueryClient({
    queryCache: new QueryCache({ onError: openPromptOnUnauthorized }),
    mutationCache: new MutationCache({ onError: openPromptOnUnauthorized }),
    defaultOptions: {
      queries: {
        retry: options.retry === false ? false : shouldRetry,
        refetchOnWindowFocus: false,
        staleTime: 5_000,
      },
      mutations: { retry: false },
    },
  });
}
