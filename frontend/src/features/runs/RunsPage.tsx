import { useCallback, useEffect, useRef } from "react";
import { useNavigate } from "react-router";
import { useRetryAfterToken } from "../auth/hooks";
import { useRunTunix, useTunixStatus, type RunResult, type RunSubmission } from "./queries";
import { runPath } from "./history";
import { RunForm } from "./RunForm";
import { RunHistory } from "./RunHistory";
import { RunResultView } from "./RunResultView";
import { TunixStatusLine } from "./TunixStatusLine";
import { useElapsedSeconds } from "./useElapsedSeconds";

/** While POST /api/tunix/run is open: a local run answers only when training ends. */
function RunProgress({ dryRun, since }: { dryRun: boolean; since: number }) {
  const elapsed = useElapsedSeconds(since);
  return (
    <section className="card run-progress" role="status" aria-live="polite" data-testid="run:pending">
      <h2>
        <span className="spinner" aria-hidden="true" />
        {dryRun ? "Checking…" : "Training…"}
      </h2>
      <p>
        {dryRun
          ? "Checking the dataset, the model, the tokens and the output dir."
          : "This request waits for the run to end: compiling, training, then answering held-out prompts. A local run takes a minute or more."}
      </p>
      <p className="muted">
        <span data-testid="run:elapsed">{elapsed}</span> s elapsed
      </p>
    </section>
  );
}

/** Check a run against a dataset (dry run) or train with Tunix, now or queued; and every run so far. */
export function RunsPage() {
  const status = useTunixStatus();
  const run = useRunTunix();
  const navigate = useNavigate();

  const { mutate, variables } = run;
  const submit = useCallback(
    (submission: RunSubmission) =>
      mutate(submission, {
        // A queued run is followed on its own page; a sync run's result is shown here.
        onSuccess: (result: RunResult) => {
          if (!submission.wait) navigate(runPath(result.run_id));
        },
      }),
    [mutate, navigate],
  );
  const retry = useCallback(() => {
    if (variables) submit(variables);
  }, [submit, variables]);
  useRetryAfterToken(run.error, retry);

  // The buttons are at the form's end, the progress and the result beside its top:
  // bring them into view when a run starts and when it answers (a queued run opens its page instead).
  const panel = useRef<HTMLDivElement>(null);
  const inline = variables?.wait === true;
  useEffect(() => {
    if (inline && (run.status === "pending" || run.status === "success")) {
      panel.current?.scrollIntoView?.({ block: "start", behavior: "smooth" });
    }
  }, [inline, run.status]);

  return (
    <div className="stack">
      <section className="card" aria-labelledby="runs-title">
        <h1 id="runs-title">Run with Tunix</h1>
        <p className="muted small">
          Fine-tune a model on a dataset with Tunix (SFT). A dry run checks everything a run needs without training;
          Train now has a worker train it and answers when the run ends. With Run async, the run is queued for a
          worker and you follow it on its page. Every run is kept in the history below.
        </p>
        <TunixStatusLine status={status} />
      </section>
      <div className="runs-grid">
        <RunForm
          status={status.data}
          statusPending={status.isPending}
          pending={run.isPending ? (variables?.body.dry_run ? "dry-run" : "train") : null}
          error={run.error}
          onRun={(body, wait) => submit({ body, wait })}
        />
        <div className="stack run-panel" ref={panel}>
          {run.isPending && inline && (
            <RunProgress dryRun={variables.body.dry_run} since={run.submittedAt} />
          )}
          {run.data && <RunResultView result={run.data} />}
          {run.isIdle && (
            <section className="card muted run-placeholder" data-testid="run:placeholder">
              <p>
                The result of a dry run or a training run appears here: its checks, the training summary, the
                model&apos;s answers to held-out prompts, and the process output. An async run opens its own page.
              </p>
            </section>
          )}
        </div>
      </div>
      <RunHistory expectLive={run.isPending} />
    </div>
  );
}
