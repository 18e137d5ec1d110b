import { keepPreviousData, queryOptions, useMutation, useQueries, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import { pollDelay } from "../runs/history";
import {
  curveSeriesName,
  inCreationOrder,
  isTuningLive,
  TUNING_PAGE_SIZE,
  TUNING_POLL_INTERVAL_MS,
  type TuningJob,
  type TuningJobCreate,
  type TuningJobDetail,
  type TuningTrial,
} from "./tuning";

/** Query keys of the tuning domain. */
export const tuningKeys = {
  all: ["tuning"] as const,
  lists: () => [...tuningKeys.all, "list"] as const,
  list: (offset: number) => [...tuningKeys.lists(), { offset }] as const,
  details: () => [...tuningKeys.all, "detail"] as const,
  detail: (jobId: string) => [...tuningKeys.details(), jobId] as const,
  /**
   * A trial's learning curve: one series of its run. `live` while the trial trains (asked
   * again every 2 s), `final` once it ended (asked once more, then kept).
   */
  curve: (runId: string, series: string, phase: "live" | "final") => [...tuningKeys.all, "curve", runId, series, phase] as const,
};

/** The list polls this often while a listed study is queued or running. */
const LIST_POLL_INTERVAL_MS = 4_000;

/** A page of the studies, newest first; polls while one is queued or running. */
export function useTuningJobs(offset = 0) {
  return useQuery({
    queryKey: tuningKeys.list(offset),
    queryFn: () => unwrap(api.GET("/api/tuning/jobs", { params: { query: { limit: TUNING_PAGE_SIZE, offset } } })),
    placeholderData: keepPreviousData,
    refetchInterval: ({ state }) =>
      pollDelay(state.data?.data.some((job) => isTuningLive(job.status)) ?? false, state, Date.now(), LIST_POLL_INTERVAL_MS),
  });
}

/** A study with its trials, best first; every 2 s while it is queued or running. */
export function useTuningJob(jobId: string) {
  return useQuery({
    queryKey: tuningKeys.detail(jobId),
    queryFn: () => unwrap(api.GET("/api/tuning/jobs/{job_id}", { params: { path: { job_id: jobId } } })),
    refetchInterval: ({ state }) =>
      pollDelay(state.data !== undefined && isTuningLive(state.data.status), state, Date.now(), TUNING_POLL_INTERVAL_MS),
  });
}

/** The study's new state (start, cancel) on its cached page at once; the trials come with the refetch. */
function useJobChanged() {
  const queryClient = useQueryClient();
  return {
    update: (job: TuningJob) => {
      queryClient.setQueryData<TuningJobDetail>(tuningKeys.detail(job.id), (current) => (current ? { ...current, ...job } : current));
      void queryClient.invalidateQueries({ queryKey: tuningKeys.lists() });
    },
    reload: (jobId: string) => void queryClient.invalidateQueries({ queryKey: tuningKeys.detail(jobId), exact: true }),
  };
}

/** Stores a study as `created`; nothing runs until it is started. */
export function useCreateTuningJob() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: TuningJobCreate) => unwrap(api.POST("/api/tuning/jobs", { body })),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: tuningKeys.lists() }),
  });
}

/** Queues a created study for a worker (202: `pending`). 503 NoWorker, 501 without Ray Tune. */
export function useStartTuningJob() {
  const changed = useJobChanged();
  return useMutation({
    mutationFn: (jobId: string) => unwrap(api.POST("/api/tuning/jobs/{job_id}/start", { params: { path: { job_id: jobId } } })),
    onSuccess: changed.update,
    onSettled: (_data, _error, jobId) => changed.reload(jobId),
  });
}

/** Cancels a study: at once when created or queued; a running one stops every trial. 409 once ended. */
export function useCancelTuningJob() {
  const changed = useJobChanged();
  return useMutation({
    mutationFn: (jobId: string) => unwrap(api.POST("/api/tuning/jobs/{job_id}/cancel", { params: { path: { job_id: jobId } } })),
    onSuccess: changed.update,
    onSettled: (_data, _error, jobId) => changed.reload(jobId),
  });
}

/** The most points a trial's curve is asked for (the server downsamples, keeping the last). */
export const CURVE_MAX_POINTS = 500;

function fetchCurve(runId: string, series: string) {
  return unwrap(
    api.GET("/api/tunix/runs/{run_id}/metrics", {
      params: { path: { run_id: runId }, query: { name: [series], max_points: CURVE_MAX_POINTS } },
    }),
  );
}

/** GET /metrics's answer for one trial's curve. */
export type CurveAnswer = Awaited<ReturnType<typeof fetchCurve>>;

/** A trial with a run: the ones that have a curve. */
export type CurvedTrial = TuningTrial & { run_id: string };

/**
 * Each trial's curve of the study's metric (its run's `eval/loss` or `train/loss`), for the
 * trials with a run, in the order they began. While the study is queued or running, a
 * trial still training is asked again every 2 s; once it has ended its curve is asked
 * once more (showing the last one meanwhile) and then kept.
 */
export function useTrialCurves(job: Pick<TuningJobDetail, "status" | "metric_name" | "trials">) {
  const queryClient = useQueryClient();
  const series = curveSeriesName(job.metric_name);
  const live = isTuningLive(job.status);
  const trials = inCreationOrder(job.trials).filter((trial): trial is CurvedTrial => trial.run_id !== null);
  const results = useQueries({
    queries: trials.map((trial) => {
      const growing = live && trial.status === "running";
      return queryOptions({
        queryKey: tuningKeys.curve(trial.run_id, series, growing ? "live" : "final"),
        queryFn: () => fetchCurve(trial.run_id, series),
        staleTime: growing ? 0 : Infinity,
        placeholderData: growing ? undefined : () => queryClient.getQueryData<CurveAnswer>(tuningKeys.curve(trial.run_id, series, "live")),
        refetchInterval: ({ state }) => pollDelay(growing, state, Date.now(), TUNING_POLL_INTERVAL_MS),
      });
    }),
  });
  return { series, trials, results };
}
