import { useCallback, useId, useMemo, useState, type ChangeEvent, type FormEvent } from "react";
import { useNavigate } from "react-router";
import { controlProps, Field } from "../../ui/Field";
import { FieldMessages, FormErrorSummary, placeFieldErrors } from "../../ui/FieldErrors";
import { useRetryAfterToken } from "../auth/hooks";
import {
  BUILD_FIELD_PATHS,
  DEFAULT_BUILD_VALUES,
  toBuildRequest,
  toSelection,
  type BuildFormValues,
} from "./buildRequest";
import { datasetPath } from "./manifest";
import { PreviewLine } from "./PreviewLine";
import { useBuildDataset, type DatasetManifest } from "./queries";

const ERROR_TEST_ID = "dataset:field-error";

/** Select traces, see how many match, and build the next version of a named dataset. */
export function BuildForm() {
  const [values, setValues] = useState<BuildFormValues>(DEFAULT_BUILD_VALUES);
  // Only the inputs that decide the selection: typing a name must not recount.
  const { strategy, seed, limit, source, minScore, createdAfter, createdBefore } = values;
  const selection = useMemo(
    () => toSelection({ strategy, seed, limit, source, minScore, createdAfter, createdBefore }),
    [strategy, seed, limit, source, minScore, createdAfter, createdBefore],
  );
  const build = useBuildDataset();
  const navigate = useNavigate();
  const id = useId();

  const onBuilt = useCallback(
    (manifest: DatasetManifest) => navigate(datasetPath(manifest.dataset_key)),
    [navigate],
  );
  const { mutate, variables } = build;
  const retry = useCallback(() => {
    if (variables) mutate(variables, { onSuccess: onBuilt });
  }, [mutate, variables, onBuilt]);
  useRetryAfterToken(build.error, retry);

  function submit(event: FormEvent) {
    event.preventDefault();
    build.mutate(toBuildRequest(values), { onSuccess: onBuilt });
  }

  const placed = placeFieldErrors(build.error, BUILD_FIELD_PATHS);
  const filterErrors = placed.at("filters");
  const fieldId = (field: keyof BuildFormValues) => `${id}-${field}`;

  /** Props of a `Field` for one form value, whose 422 messages are at `path`. */
  function fieldOf(field: keyof BuildFormValues, path: string) {
    return { id: fieldId(field), errors: placed.at(path), errorTestId: ERROR_TEST_ID };
  }

  /** Props of the input bound to one form value. */
  function inputOf(field: keyof BuildFormValues, path: string, hasHint = true) {
    return {
      ...controlProps(fieldId(field), placed.at(path), hasHint),
      value: values[field],
      onChange: (event: ChangeEvent<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>) =>
        setValues((current) => ({ ...current, [field]: event.target.value })),
      "data-testid": `dataset:${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`,
    };
  }

  return (
    <form className="card build-form" onSubmit={submit} aria-labelledby={`${id}-title`} data-testid="dataset:build-form">
      <h2 id={`${id}-title`}>Build a dataset</h2>
      <div className="form-grid name-row">
        <Field
          label="Name"
          hint={
            <>
              Letters, digits, <code>_ . -</code>; stored as <code>name-vN</code>, the next version.
            </>
          }
          {...fieldOf("name", "name")}
        >
          <input type="text" required autoComplete="off" spellCheck={false} placeholder="duels" {...inputOf("name", "name")} />
        </Field>
        <Field label="Description (optional)" {...fieldOf("description", "description")}>
          <textarea rows={1} {...inputOf("description", "description", false)} />
        </Field>
      </div>
      <div className="form-grid">
        <Field label="Strategy" {...fieldOf("strategy", "strategy")}>
          <select {...inputOf("strategy", "strategy", false)}>
            <option value="latest">Latest (newest first)</option>
            <option value="random">Random (seeded sample)</option>
          </select>
        </Field>
        <Field label="Seed" hint="Of the sample and the train/eval split." {...fieldOf("seed", "seed")}>
          <input type="number" min={0} step={1} {...inputOf("seed", "seed")} />
        </Field>
        <Field label="Limit" hint="At most this many traces." {...fieldOf("limit", "limit")}>
          <input type="number" min={1} step={1} {...inputOf("limit", "limit")} />
        </Field>
        <Field label="Eval ratio" hint="Share held out for eval, 0–0.5." {...fieldOf("evalRatio", "eval_ratio")}>
          <input type="number" min={0} max={0.5} step={0.01} {...inputOf("evalRatio", "eval_ratio")} />
        </Field>
      </div>

      <fieldset className="filters" aria-describedby={filterErrors.length > 0 ? `${id}-filters-errors` : undefined}>
        <legend>Filters</legend>
        <div className="form-grid">
          <Field
            label="Source"
            hint={
              <>
                <code>meta.source</code> equals, e.g. <code>ungar</code>.
              </>
            }
            {...fieldOf("source", "filters.source")}
          >
            <input type="text" autoComplete="off" spellCheck={false} placeholder="any" {...inputOf("source", "filters.source")} />
          </Field>
          <Field label="Min score" hint="Baseline, 0–100; only scored traces match." {...fieldOf("minScore", "filters.min_score")}>
            <input type="number" min={0} max={100} step="any" placeholder="any" {...inputOf("minScore", "filters.min_score")} />
          </Field>
          <Field label="Created after" hint="Your local time, inclusive." {...fieldOf("createdAfter", "filters.created_after")}>
            <input type="datetime-local" {...inputOf("createdAfter", "filters.created_after")} />
          </Field>
          <Field label="Created before" hint="Your local time, exclusive." {...fieldOf("createdBefore", "filters.created_before")}>
            <input type="datetime-local" {...inputOf("createdBefore", "filters.created_before")} />
          </Field>
        </div>
        <FieldMessages id={`${id}-filters-errors`} errors={filterErrors} testId={ERROR_TEST_ID} />
      </fieldset>

      <div className="form-footer">
        <PreviewLine selection={selection} />
        <button type="submit" className="primary" disabled={build.isPending} data-testid="dataset:build-submit">
          {build.isPending ? "Building…" : "Build dataset"}
        </button>
      </div>
      <FormErrorSummary error={build.error} placed={placed} title="Not built" testId={ERROR_TEST_ID} />
    </form>
  );
}
