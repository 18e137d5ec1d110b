import { useCallback, useId, useState } from "react";
import { ErrorMessage } from "../../ui/ErrorMessage";
import { useRetryAfterToken } from "../auth/hooks";
import type { Evaluation } from "./evaluation";
import { initialJudge, JudgeSelect } from "./JudgeSelect";
import { useEvaluateRun, useJudges } from "./queries";

type EvaluateRunProps = {
  runId: string;
  /** Called with the queued evaluation (`pending`): the page follows it. */
  onQueued?: (evaluation: Evaluation) => void;
  label?: string;
};

/**
 * A judge (the server's default at first; one this installation cannot use is listed
 * disabled, with why) and "Evaluate": queues an evaluation of the run's final checkpoint
 * on its dataset's held-out split. 409 (not evaluable), 422 (judge) and 503 (no worker)
 * are shown as the server says them.
 */
export function EvaluateRun({ runId, onQueued, label = "Evaluate" }: EvaluateRunProps) {
  const id = useId();
  const judges = useJudges();
  const [choice, setChoice] = useState<string | null>(null);
  const list = judges.data ?? [];
  const judge = choice ?? initialJudge(list);
  const evaluate = useEvaluateRun(runId);

  const { mutate } = evaluate;
  const submit = useCallback(() => mutate({ judge }, { onSuccess: onQueued }), [mutate, judge, onQueued]);
  useRetryAfterToken(evaluate.error, submit);

  return (
    <div className="evaluate-run" role="group" aria-label="Evaluate the run" data-testid="eval:evaluate-group">
      <label htmlFor={`${id}-judge`} className="inline-label">
        Judge
      </label>
      <JudgeSelect id={`${id}-judge`} judges={list} value={judge ?? ""} onChange={setChoice} testId="eval:judge-select" />
      <button type="button" className="primary" onClick={submit} disabled={evaluate.isPending || judges.isPending} data-testid="eval:evaluate">
        {evaluate.isPending ? "Queueing…" : label}
      </button>
      {judges.isError && <ErrorMessage error={judges.error} title="Could not load the judges (the server's default is used)" />}
      {evaluate.isError && <ErrorMessage error={evaluate.error} title="Not evaluated" />}
    </div>
  );
}
