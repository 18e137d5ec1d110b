import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../../api/client";
import { useDatasetList } from "../datasets/queries";
import { isLive, pollDelay, type RunListQuery } from "./registry";

export type TunixStatus = Schemas["TunixStatus"];
export type RunRequest = Schemas["RunRequest"];
export type RunResult = Schemas["RunResult"];
export type RunCheck = Schemas["Check"];
export type RunSummary = Schemas["RunSummary"];
export type RunDetail = Schemas["RunDetail"];

/**
 * What the form sends: the dataset, the model and dry_run, and only the training
 * fields it has values for. The generated type lists every field with a server
 * default as required; a field left out takes that default on the server.
 */
export type RunRequestBody = Pick<RunRequest, "dataset_key" | "model_id" | "dry_run"> &
  Partial<Omit<RunRequest, "dataset_key" | "model_id" | "dry_run">>;

/** The datasets a run can name: the newest 100 (the API's largest page). */
export const RUN_DATASET_LIMIT = 100;

/** Runs a page of the history holds. */
export const RUN_PAGE_SIZE = 20;

/** Query keys of the runs domain; invalidate `runKeys.lists()` after a run is submitted. */
export const runKeys = {
  all: ["runs"] as const,
  tunixStatus: () => [...runKeys.all, "tunix-status"] as const,
  lists: () => [...runKeys.all, "list"] as const,
  list: (query: RunListQuery) => [...runKeys.lists(), query] as const,
  details: () => [...runKeys.all, "detail"] as const,
  detail: (runId: string) => [...runKeys.details(), runId] as const,
};

/** Whether the server can train (Tunix installed), its versions, devices and built-in models. */
export function useTunixStatus() {
  return useQuery({
    queryKey: runKeys.tunixStatus(),
    queryFn: () => unwrap(api.GET("/api/tunix/status")),
    // Installed packages and devices do not change while the server runs.
    staleTime: Infinity,
  });
}

/** The dataset choices of the run form (shares the datasets domain's cache and keys). */
export function useRunDatasets() {
  return useDatasetList(0, RUN_DATASET_LIMIT);
}

/** How POST /api/tunix/run executes: `sync` answers at the end, `async` queues for a worker. */
export type RunSubmitMode = "sync" | "async";
export type RunSubmission = { body: RunRequestBody; mode: RunSubmitMode };

/**
 * A dry run (checks only) or a local run. Sync (the default): the server runs it before
 * it answers, so the request stays open for the whole run. Async: the answer is the run,
 * `pending`, at once, and a worker executes it.
 */
export function useRunTunix() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ body, mode }: RunSubmission) =>
      unwrap(
        api.POST("/api/tunix/run", {
          // Sync is the server's default: the request stays exactly what it was before async existed.
          params: mode === "async" ? { query: { mode } } : {},
          body: body as RunRequest,
        }),
      ),
    // Either way the run is recorded: the history gains a row.
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: runKeys.lists() }),
  });
}

/**
 * One page of the run history, newest first; polls while a listed run is pending or
 * running, or while `expectLive` (a run this page submitted is in flight, and its row
 * may not be listed yet).
 */
export function useRunList(query: RunListQuery, { expectLive = false }: { expectLive?: boolean } = {}) {
  return useQuery({
    queryKey: runKeys.list(query),
    queryFn: () =>
      unwrap(
        api.GET("/api/tunix/runs", {
          params: {
            query: {
              limit: RUN_PAGE_SIZE,
              offset: query.offset,
              status: query.status ?? undefined,
              mode: query.mode ?? undefined,
              dataset_key: query.datasetKey ?? undefined,
            },
          },
        }),
      ),
    placeholderData: keepPreviousData,
    refetchInterval: ({ state }) =>
      pollDelay(expectLive || (state.data?.data.some((run) => isLive(run.status)) ?? false), state),
  });
}

/** One run's configuration, timings, attempts and output tails; polls while it is live. */
export function useRun(runId: string) {
  return useQuery({
    queryKey: runKeys.detail(runId),
    queryFn: () => unwrap(api.GET("/api/tunix/runs/{run_id}", { params: { path: { run_id: runId } } })),
    refetchInterval: ({ state }) => pollDelay(state.data !== undefined && isLive(state.data.status), state),
  });
}

/** A new queued run with the same configuration as `runId`. */
export function useRerun(runId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.POST("/api/tunix/runs/{run_id}/rerun", { params: { path: { run_id: runId } } })),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: runKeys.lists() }),
  });
}
