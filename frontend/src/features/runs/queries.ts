import { keepPreviousData, useMutation, useQueries, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../../api/client";
import { attachmentName } from "../../ui/saveBlob";
import { useDatasetList } from "../datasets/queries";
import { artifactPathSerializer } from "./artifacts";
import { RUN_PAGE_METRICS } from "./metricSeries";
import { isLive, pollDelay, VIEW_MODES, type RunListQuery } from "./history";
import type { RunLabelsUpdate } from "./labels";

export type TunixStatus = Schemas["TunixStatus"];
export type RunRequest = Schemas["RunRequest"];
export type RunResult = Schemas["RunResult"];
export type RunCheck = Schemas["Check"];
export type RunSummary = Schemas["RunSummary"];
export type RunDetail = Schemas["RunDetail"];
export type RunArtifact = Schemas["Artifact"];
export type RunGenerations = Schemas["RunGenerations"];

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
  metrics: (runId: string) => [...runKeys.detail(runId), "metrics"] as const,
  artifacts: (runId: string) => [...runKeys.detail(runId), "artifacts"] as const,
  generations: (runId: string) => [...runKeys.detail(runId), "generations"] as const,
};

/** The most points a chart asks for a series (the server downsamples, keeping the last). */
export const METRIC_MAX_POINTS = 2000;

/** Whether the server can train (Tunix installed), its versions, devices, built-in and local models. */
export function useTunixStatus() {
  return useQuery({
    queryKey: runKeys.tunixStatus(),
    queryFn: () => unwrap(api.GET("/api/tunix/status")),
    // Packages and devices do not change while the server runs, but the checkpoints under
    // MODEL_DIR do (`tunix-rt model import`): a page opened a while later asks again.
    staleTime: 30_000,
  });
}

/** The dataset choices of the run form (shares the datasets domain's cache and keys). */
export function useRunDatasets() {
  return useDatasetList(0, RUN_DATASET_LIMIT);
}

/**
 * `wait`: the request answers at the run's end (the API's `mode=sync`, its default), or
 * at once with the run queued (`mode=async`). The API's word `mode` also names the
 * run's kind (`dry-run` / `local`), so here the choice is called what it is.
 */
export type RunSubmission = { body: RunRequestBody; wait: boolean };

/**
 * A dry run (checks only) or a local run. Waiting (the default): a dry run is checked in
 * the request, a training run is queued for a worker and the request stays open until
 * it ends. Not waiting: the answer is the run, `pending`, at once.
 */
export function useRunTunix() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ body, wait }: RunSubmission) =>
      unwrap(
        api.POST("/api/tunix/run", {
          // Waiting is the server's default: the request stays exactly what it was before async existed.
          params: wait ? {} : { query: { mode: "async" } },
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
              mode: VIEW_MODES[query.view] ?? undefined,
              dataset_key: query.datasetKey ?? undefined,
              tag: query.tag ?? undefined,
              q: query.q ?? undefined,
            },
          },
        }),
      ),
    placeholderData: keepPreviousData,
    refetchInterval: ({ state }) =>
      pollDelay(expectLive || (state.data?.data.some((run) => isLive(run.status)) ?? false), state),
  });
}

function fetchRun(runId: string) {
  return unwrap(api.GET("/api/tunix/runs/{run_id}", { params: { path: { run_id: runId } } }));
}

/**
 * One run's configuration, timings, attempts and output tails. Polls while it is live,
 * unless `streaming`: the log stream's `status` events update it then (and the page
 * invalidates it on each change), so polling would only repeat what the stream says.
 */
export function useRun(runId: string, { streaming = false }: { streaming?: boolean } = {}) {
  return useQuery({
    queryKey: runKeys.detail(runId),
    queryFn: () => fetchRun(runId),
    refetchInterval: ({ state }) => pollDelay(!streaming && state.data !== undefined && isLive(state.data.status), state),
  });
}

/** Several runs at once (the compare view); a run that failed to load has its own error. */
export function useRuns(runIds: string[]) {
  return useQueries({
    queries: runIds.map((runId) => ({ queryKey: runKeys.detail(runId), queryFn: () => fetchRun(runId) })),
  });
}

function fetchMetrics(runId: string, names: readonly string[]) {
  return unwrap(
    api.GET("/api/tunix/runs/{run_id}/metrics", {
      params: { path: { run_id: runId }, query: { name: [...names], max_points: METRIC_MAX_POINTS } },
    }),
  );
}

/**
 * The charted series of a run as stored so far (downsampled to METRIC_MAX_POINTS). Read
 * once: the live stream adds every later point.
 */
export function useRunMetrics(runId: string, enabled = true) {
  return useQuery({
    queryKey: runKeys.metrics(runId),
    enabled,
    queryFn: () => fetchMetrics(runId, RUN_PAGE_METRICS),
    staleTime: Infinity,
  });
}

/** The loss series of several runs (the compare view). */
export function useRunsMetrics(runIds: string[]) {
  return useQueries({
    queries: runIds.map((runId) => ({ queryKey: runKeys.metrics(runId), queryFn: () => fetchMetrics(runId, RUN_PAGE_METRICS) })),
  });
}

/** While the server hashes a large file (its sha256 is null), the list is asked again this often. */
export const ARTIFACT_HASH_POLL_MS = 2000;

/**
 * The files in a run's directory; refreshed by the page when a checkpoint lands or the
 * run ends, and every few seconds while a large file's hash is still being computed.
 */
export function useRunArtifacts(runId: string) {
  return useQuery({
    queryKey: runKeys.artifacts(runId),
    queryFn: () => unwrap(api.GET("/api/tunix/runs/{run_id}/artifacts", { params: { path: { run_id: runId } } })),
    refetchInterval: (query) => (query.state.data?.some((a) => a.sha256 === null) ? ARTIFACT_HASH_POLL_MS : false),
  });
}

/**
 * Every held-out prompt the trainer answered at the end of a run, with the counts the
 * server scored them by. Asked for only once the run has ended (a dry run answers none):
 * they are stored before it ends and do not change after, so they are never refetched.
 */
export function useRunGenerations(run: Pick<RunResult, "run_id" | "status" | "mode">) {
  return useQuery({
    queryKey: runKeys.generations(run.run_id),
    enabled: run.mode !== "dry-run" && !isLive(run.status),
    queryFn: () => unwrap(api.GET("/api/tunix/runs/{run_id}/generations", { params: { path: { run_id: run.run_id } } })),
    staleTime: Infinity,
  });
}

export type ArtifactFile = { blob: Blob; filename: string };

/**
 * Fetches an artifact (a file, or a directory as a tar) through the API client, so the
 * bearer token goes with it when auth is on, as a Blob for the caller to save. The whole
 * file is held in memory.
 */
export function useArtifactDownload(runId: string) {
  return useMutation({
    mutationFn: async ({ name, directory }: { name: string; directory: boolean }): Promise<ArtifactFile> => {
      const call = api.GET("/api/tunix/runs/{run_id}/artifacts/{filename}/download", {
        params: { path: { run_id: runId, filename: name } },
        // The name's slashes stay slashes: the route takes a nested path.
        pathSerializer: artifactPathSerializer,
        parseAs: "blob",
      });
      const blob = await unwrap(call);
      const { response } = await call;
      const base = name.split("/").pop() ?? name;
      return { blob, filename: attachmentName(response) ?? (directory ? `${base}.tar` : base) };
    },
  });
}

/**
 * Cancels a run: a pending one ends `cancelled` at once; a running one gets
 * `cancel_requested_at` and ends within seconds. The answer updates the cached run at
 * once; 409 means it had already ended, and the run is reloaded to show how.
 */
export function useCancelRun(runId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.POST("/api/tunix/runs/{run_id}/cancel", { params: { path: { run_id: runId } } })),
    onSuccess: (status) => {
      queryClient.setQueryData<RunDetail>(runKeys.detail(runId), (run) =>
        run
          ? {
              ...run,
              status: status.status,
              attempt: status.attempt,
              completed_at: status.completed_at,
              duration_seconds: status.duration_seconds,
              error: status.error,
              cancel_requested_at: status.cancel_requested_at ?? run.cancel_requested_at,
            }
          : run,
      );
      void queryClient.invalidateQueries({ queryKey: runKeys.lists() });
    },
    onSettled: () => void queryClient.invalidateQueries({ queryKey: runKeys.detail(runId), exact: true }),
  });
}

/**
 * Sets a run's name, notes and tags. The answer is the run: its page shows it at once,
 * and the lists (which show names and tags, and filter by them) are asked again.
 */
export function useUpdateRunLabels(runId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (labels: RunLabelsUpdate) =>
      unwrap(api.PATCH("/api/tunix/runs/{run_id}", { params: { path: { run_id: runId } }, body: labels })),
    onSuccess: (run) => {
      queryClient.setQueryData<RunDetail>(runKeys.detail(runId), run);
      void queryClient.invalidateQueries({ queryKey: runKeys.detail(runId), exact: true });
      void queryClient.invalidateQueries({ queryKey: runKeys.lists() });
    },
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
