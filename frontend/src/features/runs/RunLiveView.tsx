import { useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import { LogViewer } from "./LogViewer";
import { LossChart } from "./LossChart";
import { seriesUpdates } from "./metricSeries";
import { runKeys, useRunMetrics, type RunDetail } from "./queries";
import { isLive, type RunState } from "./history";
import { RunProgressPanel } from "./RunProgressPanel";
import { useRunStream } from "./useRunStream";

/** Cache updates driven by the stream: the run's state, its files, the history's rows. */
function useStreamCacheUpdates(runId: string) {
  const queryClient = useQueryClient();
  const detailKey = runKeys.detail(runId);

  function cached(): RunDetail | undefined {
    return queryClient.getQueryData<RunDetail>(detailKey);
  }

  function refresh(withArtifacts: boolean) {
    void queryClient.invalidateQueries({ queryKey: detailKey, exact: true });
    void queryClient.invalidateQueries({ queryKey: runKeys.lists() });
    if (withArtifacts) void queryClient.invalidateQueries({ queryKey: runKeys.artifacts(runId) });
  }

  return {
    onStatus(status: RunState, attempt: number) {
      const run = cached();
      if (!run || (run.status === status && run.attempt === attempt)) return;
      // The badge changes at once; the rest (timings, worker, error) comes with the reload.
      queryClient.setQueryData<RunDetail>(detailKey, { ...run, status, attempt });
      refresh(!isLive(status));
    },
    onEnd(status: RunState | null) {
      const run = cached();
      // A finished run's stream replays, then ends: nothing changed, nothing to reload.
      if (run && !isLive(run.status) && run.status === status) return;
      refresh(true);
    },
    onCheckpoint() {
      // A replay holds many checkpoint lines: one listing in flight serves them all.
      void queryClient.invalidateQueries({ queryKey: runKeys.artifacts(runId) }, { cancelRefetch: false });
    },
  };
}

/**
 * The run as it happens: its progress and loss curve (a training run's) and its log, from one stream.
 * Tells the page whether the stream is open, so the page stops polling meanwhile.
 */
export function RunLiveView({ run, onStreaming }: { run: RunDetail; onStreaming: (open: boolean) => void }) {
  const runId = run.run_id;
  const training = run.mode === "local";
  const handlers = useStreamCacheUpdates(runId);
  const stream = useRunStream(runId, handlers);
  const metrics = useRunMetrics(runId, training);

  const open = stream.connection === "open";
  useEffect(() => {
    onStreaming(open);
  }, [open, onStreaming]);
  useEffect(() => () => onStreaming(false), [onStreaming]);

  const { addMetrics } = stream;
  useEffect(() => {
    if (metrics.data) addMetrics(seriesUpdates(metrics.data.series));
  }, [metrics.data, addMetrics]);

  return (
    <>
      {training && <RunProgressPanel run={run} series={stream.series} />}
      {training && <LossChart series={stream.series} live={isLive(run.status)} />}
      <LogViewer log={stream.log} connection={stream.connection} error={stream.error} ended={stream.ended} />
    </>
  );
}
