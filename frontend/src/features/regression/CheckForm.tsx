import { useCallback, useId, useState, type FormEvent } from "react";
import { controlProps, Field } from "../../ui/Field";
import { FormErrorSummary, placeFieldErrors } from "../../ui/FieldErrors";
import { useRetryAfterToken } from "../auth/hooks";
import { useCheckRun } from "./queries";
import { CHECK_FIELD_PATHS, formatValue, metricLabel, type Baseline, type CheckReport, type CheckRequest } from "./regression";

const ERROR_TEST_ID = "regression:check-field-error";

type CheckFormProps = {
  baselines: Baseline[];
  /** Still loading the baselines. */
  loading: boolean;
  /** A run to fill in. */
  runId?: string;
  onChecked: (report: CheckReport) => void;
};

/** What the chosen baseline compares: `Primary score 0.65, margin 0.0325; duels-v1 (eval)`. */
function baselineHint(baseline: Baseline): string {
  const direction = baseline.lower_is_better ? ", lower is better" : "";
  return `${metricLabel(baseline.metric)} ${formatValue(baseline.value)}, margin ${formatValue(baseline.margin)}${direction}; ${baseline.dataset_key} (${baseline.split})`;
}

/** Checks a run (its newest comparable evaluation, or the one named) against a baseline. */
export function CheckForm({ baselines, loading, runId = "", onChecked }: CheckFormProps) {
  const id = useId();
  const [baselineChoice, setBaselineChoice] = useState<string | null>(null);
  const [run, setRun] = useState(runId);
  const [evaluationId, setEvaluationId] = useState("");
  const check = useCheckRun();

  const baselineName = baselineChoice ?? baselines[0]?.name ?? "";
  const chosen = baselines.find((b) => b.name === baselineName);

  const { mutate, variables } = check;
  const retry = useCallback(() => {
    if (variables) mutate(variables, { onSuccess: onChecked });
  }, [mutate, variables, onChecked]);
  useRetryAfterToken(check.error, retry);

  function submit(event: FormEvent) {
    event.preventDefault();
    const body: CheckRequest = { baseline_name: baselineName, run_id: run.trim() };
    if (evaluationId.trim()) body.evaluation_id = evaluationId.trim();
    check.mutate(body, { onSuccess: onChecked });
  }

  const placed = placeFieldErrors(check.error, CHECK_FIELD_PATHS);
  const field = (name: string, path: string) => ({ id: `${id}-${name}`, errors: placed.at(path), errorTestId: ERROR_TEST_ID });
  const noBaselines = !loading && baselines.length === 0;

  return (
    <form className="card check-form" onSubmit={submit} noValidate aria-labelledby={`${id}-title`} data-testid="regression:check-form">
      <h2 id={`${id}-title`}>Check a run</h2>
      <p className="muted small">
        Compares the run's evaluation with the baseline's, item by item, and stores the report. By default the run's newest
        completed evaluation by the baseline's judge (one comparable with the baseline first).
      </p>
      <div className="form-grid check-grid">
        <Field
          label="Baseline"
          hint={chosen && baselineHint(chosen)}
          {...field("baseline", "baseline_name")}
        >
          <select
            {...controlProps(`${id}-baseline`, placed.at("baseline_name"), chosen !== undefined)}
            value={baselineName}
            onChange={(event) => setBaselineChoice(event.target.value)}
            disabled={noBaselines}
            data-testid="regression:check-baseline"
          >
            {baselines.length === 0 && <option value="">{loading ? "Loading…" : "No baselines yet"}</option>}
            {baselines.map((baseline) => (
              <option key={baseline.name} value={baseline.name}>
                {baseline.name} (v{baseline.version})
              </option>
            ))}
          </select>
        </Field>
        <Field label="Run id" {...field("run", "run_id")}>
          <input
            type="text"
            required
            autoComplete="off"
            spellCheck={false}
            placeholder="00000000-0000-…"
            {...controlProps(`${id}-run`, placed.at("run_id"))}
            value={run}
            onChange={(event) => setRun(event.target.value)}
            data-testid="regression:check-run-id"
          />
        </Field>
        <Field label="Evaluation id (optional)" hint="Default: the run's newest comparable one" {...field("evaluation", "evaluation_id")}>
          <input
            type="text"
            autoComplete="off"
            spellCheck={false}
            placeholder="its newest"
            {...controlProps(`${id}-evaluation`, placed.at("evaluation_id"), true)}
            value={evaluationId}
            onChange={(event) => setEvaluationId(event.target.value)}
            data-testid="regression:check-evaluation-id"
          />
        </Field>
      </div>
      <div className="form-footer">
        <span className="muted small">{noBaselines ? "Set a baseline first." : "The report shows below and joins the history."}</span>
        <button type="submit" className="primary" disabled={check.isPending || !baselineName} data-testid="regression:check-submit">
          {check.isPending ? "Checking…" : "Check"}
        </button>
      </div>
      <FormErrorSummary error={check.error} placed={placed} title="Not checked" testId={ERROR_TEST_ID} />
    </form>
  );
}
