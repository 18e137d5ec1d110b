import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../../api/client";
import { isApiError } from "../../api/errors";
import { pollDelay } from "../runs/history";
import { isEvaluationLive, ITEM_PAGE_SIZE, type Evaluation, type ItemOutcome } from "./evaluation";
import { dateBounds, LEADERBOARD_PAGE_SIZE, type LeaderboardQuery } from "./leaderboard";

export type Judge = Schemas["JudgeInfo"];
export type EvaluationItem = Schemas["ItemResult"];
export type { Evaluation };

/** A live evaluation is polled this often: its progress moves item by item. */
export const EVALUATION_POLL_INTERVAL_MS = 1_000;
/** A run that just completed is asked this often for the evaluation it queues by itself… */
export const AWAIT_EVALUATION_INTERVAL_MS = 2_000;
/** …for this long after it completed (the worker may be busy with another job first). */
export const AWAIT_EVALUATION_FOR_MS = 120_000;

/** Query keys of the evaluations domain. */
export const evaluationKeys = {
  all: ["evaluations"] as const,
  judges: () => [...evaluationKeys.all, "judges"] as const,
  leaderboards: () => [...evaluationKeys.all, "leaderboard"] as const,
  leaderboard: (query: LeaderboardQuery) => [...evaluationKeys.leaderboards(), query] as const,
  /** The newest evaluation of a run (null: none yet). */
  ofRun: (runId: string) => [...evaluationKeys.all, "run", runId] as const,
  detail: (evaluationId: string) => [...evaluationKeys.all, "detail", evaluationId] as const,
  items: (evaluationId: string, outcome: ItemOutcome | null, offset: number) =>
    [...evaluationKeys.detail(evaluationId), "items", { outcome, offset }] as const,
};

/** Every judge, whether this installation can use it (and why not), and the default one. */
export function useJudges() {
  return useQuery({
    queryKey: evaluationKeys.judges(),
    queryFn: () => unwrap(api.GET("/api/judges")),
    // Judges are configured at start-up: they do not change while the server runs.
    staleTime: Infinity,
  });
}

/** One page of the leaderboard, best first (the server ranks). */
export function useLeaderboard(query: LeaderboardQuery) {
  return useQuery({
    queryKey: evaluationKeys.leaderboard(query),
    queryFn: () =>
      unwrap(
        api.GET("/api/tunix/evaluations", {
          params: {
            query: {
              limit: LEADERBOARD_PAGE_SIZE,
              offset: query.offset,
              dataset_key: query.datasetKey ?? undefined,
              model_id: query.modelId ?? undefined,
              judge: query.judge ?? undefined,
              ...dateBounds(query),
            },
          },
        }),
      ),
    placeholderData: keepPreviousData,
  });
}

async function fetchRunEvaluation(runId: string): Promise<Evaluation | null> {
  try {
    return await unwrap(api.GET("/api/tunix/runs/{run_id}/evaluation", { params: { path: { run_id: runId } } }));
  } catch (error) {
    // Not an error: the run has not been evaluated (yet).
    if (isApiError(error) && error.error === "EvaluationNotFound") return null;
    throw error;
  }
}

type PolledState = { status: "pending" | "error" | "success"; dataUpdatedAt: number; data?: Evaluation | null | undefined };

/** `awaitUntil`: while there is no evaluation, poll until this time (ms since the epoch). */
function evaluationPollDelay(state: PolledState, awaitUntil: number | null): number | false {
  const evaluation = state.data;
  if (evaluation) return pollDelay(isEvaluationLive(evaluation.status), state, undefined, EVALUATION_POLL_INTERVAL_MS);
  const awaiting = awaitUntil !== null && Date.now() < awaitUntil;
  return pollDelay(awaiting, state, undefined, AWAIT_EVALUATION_INTERVAL_MS);
}

/**
 * A run's newest evaluation, or null when it has none. Polled every second while it is
 * pending or running; while there is none, polled only until `awaitUntil` (a run that
 * just completed queues an evaluation of its own within seconds).
 */
export function useRunEvaluation(runId: string, { enabled = true, awaitUntil = null }: { enabled?: boolean; awaitUntil?: number | null } = {}) {
  return useQuery({
    queryKey: evaluationKeys.ofRun(runId),
    enabled,
    queryFn: () => fetchRunEvaluation(runId),
    refetchInterval: ({ state }) => evaluationPollDelay(state, awaitUntil),
  });
}

/** One evaluation by id; polled every second while it is pending or running. */
export function useEvaluation(evaluationId: string | null) {
  return useQuery({
    queryKey: evaluationKeys.detail(evaluationId ?? ""),
    enabled: evaluationId !== null,
    queryFn: () => unwrap(api.GET("/api/evaluations/{evaluation_id}", { params: { path: { evaluation_id: evaluationId ?? "" } } })),
    refetchInterval: ({ state }) => evaluationPollDelay(state, null),
  });
}

/**
 * A page of an evaluation's items (wrong answers first, then unscored, then right ones),
 * of one outcome or all. Stored once the evaluation has ended: never refetched.
 */
export function useEvaluationItems(evaluationId: string, outcome: ItemOutcome | null, offset: number, enabled = true) {
  return useQuery({
    queryKey: evaluationKeys.items(evaluationId, outcome, offset),
    enabled,
    queryFn: () =>
      unwrap(
        api.GET("/api/evaluations/{evaluation_id}/items", {
          params: {
            path: { evaluation_id: evaluationId },
            query: { outcome: outcome ?? undefined, limit: ITEM_PAGE_SIZE, offset },
          },
        }),
      ),
    placeholderData: keepPreviousData,
    staleTime: Infinity,
  });
}

/** Puts an evaluation the server answered into the caches that show it. */
function useCacheEvaluation() {
  const queryClient = useQueryClient();
  return (evaluation: Evaluation) => {
    queryClient.setQueryData(evaluationKeys.detail(evaluation.id), evaluation);
    if (evaluation.run_id === null) return;
    queryClient.setQueryData<Evaluation | null>(evaluationKeys.ofRun(evaluation.run_id), (current) =>
      // The run's newest is this one, unless a newer one is cached.
      !current || current.id === evaluation.id || current.created_at <= evaluation.created_at ? evaluation : current,
    );
  };
}

/**
 * Queues an evaluation of a run's final checkpoint on its dataset's held-out split
 * (`judge`: null for the server's default) and answers it `pending`; the run's page
 * then follows it.
 */
export function useEvaluateRun(runId: string) {
  const cache = useCacheEvaluation();
  return useMutation({
    mutationFn: ({ judge }: { judge: string | null }) =>
      unwrap(
        api.POST("/api/tunix/runs/{run_id}/evaluate", {
          params: { path: { run_id: runId }, query: { mode: "async" } },
          // Greedy (the server's default; the generated type asks for it explicitly).
          body: { judge_override: judge, split: "eval", temperature: 0 },
        }),
      ),
    onSuccess: cache,
  });
}

export type BaseModelEvaluation = { modelId: string; datasetKey: string; judge: string | null };

/** Queues an evaluation of a model as it is (no run): the baseline a fine-tune must beat. */
export function useEvaluateModel() {
  const cache = useCacheEvaluation();
  return useMutation({
    mutationFn: ({ modelId, datasetKey, judge }: BaseModelEvaluation) =>
      unwrap(
        api.POST("/api/evaluations", {
          params: { query: { mode: "async" } },
          body: { model_id: modelId, dataset_key: datasetKey, judge, split: "eval", temperature: 0 },
        }),
      ),
    onSuccess: cache,
  });
}

/**
 * Cancels a pending (at once) or running evaluation. 409: it had already ended; it is
 * reloaded to show how.
 */
export function useCancelEvaluation(evaluation: Pick<Evaluation, "id" | "run_id">) {
  const queryClient = useQueryClient();
  const cache = useCacheEvaluation();
  return useMutation({
    mutationFn: () => unwrap(api.POST("/api/evaluations/{evaluation_id}/cancel", { params: { path: { evaluation_id: evaluation.id } } })),
    onSuccess: cache,
    onSettled: () => {
      void queryClient.invalidateQueries({ queryKey: evaluationKeys.detail(evaluation.id), exact: true });
      if (evaluation.run_id !== null) void queryClient.invalidateQueries({ queryKey: evaluationKeys.ofRun(evaluation.run_id) });
    },
  });
}
