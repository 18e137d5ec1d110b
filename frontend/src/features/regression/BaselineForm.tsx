import { useCallback, useId, useState, type ChangeEvent, type FormEvent } from "react";
import { controlProps, Field } from "../../ui/Field";
import { FormErrorSummary, placeFieldErrors } from "../../ui/FieldErrors";
import { useRetryAfterToken } from "../auth/hooks";
import { useJudges } from "../evaluation/queries";
import { useSetBaseline } from "./queries";
import {
  BASELINE_FIELD_PATHS,
  EMPTY_BASELINE_FORM,
  formatValue,
  METRICS,
  metricLabel,
  toBaselineRequest,
  type BaselineFormValues,
} from "./regression";

const ERROR_TEST_ID = "regression:baseline-field-error";

/**
 * Pins a run's newest completed evaluation (by a judge, when chosen) as a named baseline:
 * a new name creates it, an existing one sets it again (a new version; the old one stays
 * in its history). `runId`: a run to fill in.
 */
export function BaselineForm({ runId = "" }: { runId?: string }) {
  const id = useId();
  const [values, setValues] = useState<BaselineFormValues>({ ...EMPTY_BASELINE_FORM, runId });
  const judges = useJudges();
  const setBaseline = useSetBaseline();

  const { mutate, variables } = setBaseline;
  const retry = useCallback(() => {
    if (variables) mutate(variables);
  }, [mutate, variables]);
  useRetryAfterToken(setBaseline.error, retry);

  function submit(event: FormEvent) {
    event.preventDefault();
    setBaseline.mutate(toBaselineRequest(values));
  }

  const placed = placeFieldErrors(setBaseline.error, BASELINE_FIELD_PATHS);
  const fieldId = (field: keyof BaselineFormValues) => `${id}-${field}`;
  function fieldOf(field: keyof BaselineFormValues, path: string) {
    return { id: fieldId(field), errors: placed.at(path), errorTestId: ERROR_TEST_ID };
  }
  function inputOf(field: keyof BaselineFormValues, path: string, hasHint = false) {
    return {
      ...controlProps(fieldId(field), placed.at(path), hasHint),
      value: values[field],
      onChange: (event: ChangeEvent<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>) =>
        setValues((current) => ({ ...current, [field]: event.target.value })),
      "data-testid": `regression:baseline-${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`,
    };
  }

  const saved = setBaseline.data;
  return (
    <form className="card baseline-form" onSubmit={submit} noValidate aria-labelledby={`${id}-title`} data-testid="regression:baseline-form">
      <h2 id={`${id}-title`}>Set a baseline</h2>
      <p className="muted small">
        Pins a completed run's newest evaluation: later runs are checked against it, item by item. Setting a name again makes a
        new version; the earlier settings stay in its history.
      </p>
      <div className="form-grid baseline-grid">
        <Field label="Name" hint="Letters, digits, . _ -" {...fieldOf("name", "name")}>
          <input type="text" required autoComplete="off" spellCheck={false} placeholder="gemma-v1-baseline" {...inputOf("name", "name", true)} />
        </Field>
        <Field label="Run id" hint="A completed, evaluated run" {...fieldOf("runId", "run_id")}>
          <input type="text" required autoComplete="off" spellCheck={false} placeholder="00000000-0000-…" {...inputOf("runId", "run_id", true)} />
        </Field>
        <Field label="Metric" hint={METRICS.find((m) => m.value === values.metric)?.hint} {...fieldOf("metric", "metric")}>
          <select {...inputOf("metric", "metric", true)}>
            {METRICS.map((metric) => (
              <option key={metric.value} value={metric.value}>
                {metric.label}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Margin (optional)" hint="Largest drop that passes, in the metric's units. Default: 5% of the value" {...fieldOf("margin", "margin")}>
          <input type="number" min={0} step="any" placeholder="5% of the value" {...inputOf("margin", "margin", true)} />
        </Field>
        <Field label="Judge" hint="Pin the run's newest evaluation by this judge" {...fieldOf("judge", "judge")}>
          <select {...inputOf("judge", "judge", true)}>
            <option value="">Any judge</option>
            {(judges.data ?? []).map((judge) => (
              <option key={judge.name} value={judge.name}>
                {judge.name} v{judge.version}
                {judge.mock ? " (mock)" : ""}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Description (optional)" wide {...fieldOf("description", "description")}>
          <textarea rows={1} {...inputOf("description", "description")} />
        </Field>
      </div>
      <div className="form-footer">
        <span className="muted small">The run's evaluation, judge, dataset and split are pinned with it.</span>
        <button type="submit" className="primary" disabled={setBaseline.isPending} data-testid="regression:baseline-submit">
          {setBaseline.isPending ? "Setting…" : "Set baseline"}
        </button>
      </div>
      <FormErrorSummary error={setBaseline.error} placed={placed} title="Not set" testId={ERROR_TEST_ID} />
      {saved && !setBaseline.isError && (
        <p className="success" role="status" data-testid="regression:baseline-saved">
          Baseline <strong className="mono">{saved.name}</strong> {saved.version === 1 ? "created" : `set again (version ${saved.version})`}:{" "}
          {metricLabel(saved.metric)} {formatValue(saved.value)}, margin {formatValue(saved.margin)}
          {saved.margin_default && " (5% of the value)"}.
        </p>
      )}
    </form>
  );
}
