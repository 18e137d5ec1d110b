import { useCallback, useEffect, useRef, useState } from "react";
import { useNavigate } from "react-router";
import { useRetryAfterToken } from "../auth/hooks";
import { useRunTunix, useTunixStatus, type RunResult, type RunSubmission } from "./queries";
import { runPath } from "./history";
import { RunForm, type RunChoice } from "./RunForm";
import { RunHistory } from "./RunHistory";
import { RunResultView } from "./RunResultView";
import { TunixStatusLine } from "./TunixStatusLine";
import { useElapsedSeconds } from "./useElapsedSeconds";
import { WaitedRun } from "./WaitedRun";

/** While POST /api/tunix/run is open: a dry run's checks, or a run to wait on being queued. */
function RequestPending({ choice, since }: { choice: "dry-run" | "wait"; since: number }) {
  const elapsed = useElapsedSeconds(since);
  const dryRun = choice === "dry-run";
  return (
    <section className="card run-progress" role="status" aria-live="polite" data-testid="run:pending">
      <h2>
        <span className="spinner" aria-hidden="true" />
        {dryRun ? "Checking…" : "Queueing…"}
      </h2>
      <p>
        {dryRun
          ? "Checking the dataset, the model, the tokens and the output dir."
          : "Queueing the run: this page then follows it live until it ends."}
      </p>
      {dryRun && (
        <p className="muted">
          <span data-testid="run:elapsed">{elapsed}</span> s elapsed
        </p>
      )}
    </section>
  );
}

/**
 * The request each button sends. A dry run is checked in the request; a training run is
 * always queued (it answers at once with the run's id): Queue training then opens the run's
 * page, Train and wait follows it here.
 */
function submissionOf(body: RunSubmission["body"], choice: RunChoice): RunSubmission {
  return { body, wait: choice === "dry-run" };
}

/** Check a run against a dataset (dry run) or train with Tunix, queued or waited on here; and every run so far. */
export function RunsPage() {
  const status = useTunixStatus();
  const run = useRunTunix();
  const navigate = useNavigate();
  const [choice, setChoice] = useState<RunChoice | null>(null);
  // The run Train and wait queued, once it has ended: the page waits on it until then.
  const [endedId, setEndedId] = useState<string | null>(null);

  const { mutate, variables } = run;
  const submit = useCallback(
    (submission: RunSubmission, chosen: RunChoice) => {
      setChoice(chosen);
      mutate(submission, {
        // A queued run is followed on its own page; a waited-on run and a dry run here.
        onSuccess: (result: RunResult) => {
          if (chosen === "queue") navigate(runPath(result.run_id));
        },
      });
    },
    [mutate, navigate],
  );
  const retry = useCallback(() => {
    if (variables && choice) submit(variables, choice);
  }, [submit, variables, choice]);
  useRetryAfterToken(run.error, retry);

  const waitedId = choice === "wait" && run.isSuccess ? run.data.run_id : null;
  const waiting = waitedId !== null && endedId !== waitedId;
  const onWaitedEnd = useCallback((runId: string) => setEndedId(runId), []);

  // The buttons are at the form's end, the progress and the result beside its top: bring
  // them into view when a run starts, is queued to wait on, and ends (a queued run opens its page instead).
  const panel = useRef<HTMLDivElement>(null);
  const inline = choice !== null && choice !== "queue";
  useEffect(() => {
    if (inline && (run.status === "pending" || run.status === "success")) {
      panel.current?.scrollIntoView?.({ block: "start", behavior: "smooth" });
    }
  }, [inline, run.status, waiting]);

  return (
    <div className="stack">
      <section className="card" aria-labelledby="runs-title">
        <h1 id="runs-title">Run with Tunix</h1>
        <p className="muted small">
          Fine-tune a model on a dataset with Tunix (SFT). A dry run checks everything a run needs without training.
          Queue training has a worker train it and opens its page, where you follow it live; Train and wait queues it
          the same way and follows it live here, its progress, loss curve and log, until it ends, then shows the
          result. Every run is kept in the history below.
        </p>
        <TunixStatusLine status={status} />
      </section>
      <div className="runs-grid">
        <RunForm
          status={status.data}
          statusPending={status.isPending}
          pending={run.isPending ? choice : waiting ? "wait" : null}
          error={run.error}
          onRun={(body, chosen) => submit(submissionOf(body, chosen), chosen)}
        />
        <div className="stack run-panel" ref={panel}>
          {run.isPending && (choice === "dry-run" || choice === "wait") && <RequestPending choice={choice} since={run.submittedAt} />}
          {waitedId !== null ? (
            <WaitedRun key={waitedId} runId={waitedId} onEnd={onWaitedEnd} />
          ) : (
            run.data && <RunResultView result={run.data} />
          )}
          {run.isIdle && (
            <section className="card muted run-placeholder" data-testid="run:placeholder">
              <p>
                The result of a dry run appears here: its checks. A training run you wait for is followed here live
                (progress, loss curve, log), then its result: the summary, the model&apos;s answers to held-out prompts,
                and the process output. A queued run opens its own page.
              </p>
            </section>
          )}
        </div>
      </div>
      <RunHistory expectLive={run.isPending || waiting} />
    </div>
  );
}
