import { useId, useState, type ChangeEvent, type FormEvent, type ReactNode } from "react";
import { useSearchParams } from "react-router";
import { ErrorMessage } from "../../ui/ErrorMessage";
import { controlProps, Field } from "../../ui/Field";
import { FormErrorSummary } from "../../ui/FieldErrors";
import { newRunLabels, parseTags, placeRunErrors, TAG_HINT } from "./labels";
import { NoDatasetsYet } from "../datasets/NoDatasetsYet";
import { localModelsOf } from "./localModels";
import { ModelOptions } from "./ModelOptions";
import { useRunDatasets, type RunRequestBody, type TunixStatus } from "./queries";
import {
  BODY_FIELDS,
  DEMO_DEFAULTS,
  LOCAL_DEFAULTS,
  PRETRAINED_DEFAULTS,
  RUN_FIELD_PATHS,
  blankMeaning,
  readRunPrefill,
  toRunRequest,
  type RunFormField,
  type RunFormValues,
} from "./runForm";

const ERROR_TEST_ID = "run:field-error";
/** Each field's own hint (what a blank in it trains with is added by `hintOf`). */
const FIELD_HINTS: Partial<Record<RunFormField, ReactNode>> = {
  maxSeqLength: "Tokens.",
  maxSteps: "Blank: train for the epochs.",
  evalEveryNSteps: "Steps.",
  checkpointEveryNSteps: "Steps.",
  numGenerations: "Held-out prompts answered at the end.",
  outputDir: (
    <>
      A name under <code>ARTIFACTS_DIR</code>; blank: <code>runs/&lt;run id&gt;</code>.
    </>
  ),
};
/** The model select's entry for a model id (or checkpoint path) typed by hand. */
export const OTHER_MODEL = "__other__";

/**
 * The form's three buttons: check the run (dry run); queue it and open its page; queue it
 * and follow it on this page until it ends ("Train and wait").
 */
export type RunChoice = "dry-run" | "queue" | "wait";

type RunFormProps = {
  status: TunixStatus | undefined;
  /** GET /api/tunix/status has not answered yet: the built-in and local models are not known. */
  statusPending: boolean;
  /** Which button's request (or waited-on run) is open, if any. */
  pending: RunChoice | null;
  error: unknown;
  onRun: (body: RunRequestBody, choice: RunChoice) => void;
};

function testIdOf(field: string): string {
  return `run:${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/**
 * Dataset, model, hyperparameters and output dir of a run. Dry run checks it here; Queue
 * training (the primary choice) queues it and opens its page; Train and wait queues it and
 * keeps this page following it until its end.
 */
export function RunForm({ status, statusPending, pending, error, onRun }: RunFormProps) {
  const [searchParams, setSearchParams] = useSearchParams();
  const datasets = useRunDatasets();
  // A link may fill the form in (`?model=…&learning_rate=…`, say a tuning study's best
  // trial): read once, as if typed.
  const [prefill] = useState(() => readRunPrefill(searchParams));
  // Only what the user typed; the rest follows the model's defaults.
  const [typed, setTyped] = useState<Partial<RunFormValues>>(prefill.values);
  const [modelChoice, setModelChoice] = useState<string | null>(prefill.modelId);
  const [otherModel, setOtherModel] = useState(prefill.modelId ?? "");
  const [labels, setLabels] = useState({ name: "", tags: "" });
  const [labelsOpen, setLabelsOpen] = useState(false);
  const id = useId();

  const listed = datasets.data?.data ?? [];
  const requested = searchParams.get("dataset") || null;
  const datasetKey = requested ?? listed[0]?.dataset_key ?? "";
  // A key from the URL that the list does not hold (yet, or among the newest 100) stays choosable.
  const unlisted = requested !== null && !listed.some((d) => d.dataset_key === requested) ? requested : null;

  const builtin = status?.builtin_models ?? {};
  const builtinIds = Object.keys(builtin);
  const localModels = localModelsOf(status);
  // A choice the (refetched) status no longer lists falls back to the first model.
  const listedChoice =
    modelChoice === OTHER_MODEL || (modelChoice !== null && (Object.hasOwn(builtin, modelChoice) || localModels.some((m) => m.model_id === modelChoice)))
      ? modelChoice
      : null;
  // A model the link named that the server does not list is typed in as another model id.
  const linkedUnlisted = modelChoice !== null && modelChoice === prefill.modelId && listedChoice === null;
  const choice = linkedUnlisted ? OTHER_MODEL : (listedChoice ?? builtinIds[0] ?? localModels[0]?.model_id ?? OTHER_MODEL);
  const isOther = !statusPending && choice === OTHER_MODEL;
  const local = isOther ? undefined : localModels.find((m) => m.model_id === choice);
  const modelId = isOther ? otherModel : choice;
  // Toy models: the demo's run. A checkpoint: LoRA at 2e-4 (the server's default for one),
  // sized for a CPU when listed under MODEL_DIR. What the user typed wins over either.
  const defaults = isOther ? PRETRAINED_DEFAULTS : local ? LOCAL_DEFAULTS : DEMO_DEFAULTS;
  const values: RunFormValues = { ...defaults, ...typed };

  const canTrain = status?.available !== false;
  // Until the status answers, the model is not known: a click then sent model_id "" (a 422).
  const ready = !statusPending && modelId.trim() !== "";
  const placed = placeRunErrors(error, [...RUN_FIELD_PATHS, "name", "tags"], parseTags(labels.tags));
  const labelErrors = { name: placed.at("name"), tags: placed.at("tags") };
  const fieldId = (field: string) => `${id}-${field}`;

  function run(choice: RunChoice) {
    const dryRun = choice === "dry-run";
    onRun({ ...toRunRequest(values, { datasetKey, modelId, dryRun }), ...newRunLabels(labels) }, choice);
  }

  function chooseDataset(key: string) {
    // Only `dataset`: the run history below keeps its filters in the same URL.
    setSearchParams(
      (current) => {
        const next = new URLSearchParams(current);
        next.set("dataset", key);
        return next;
      },
      { replace: true },
    );
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    if (pending !== null || !datasetKey || !ready) return;
    // Enter in a field checks; only a button trains.
    run("dry-run");
  }

  /** The field's own hint, and what a blank in it trains with. */
  function hintOf(field: RunFormField): ReactNode {
    const hint = FIELD_HINTS[field];
    const blank = blankMeaning(field, values, modelId);
    if (blank === null) return hint;
    return hint ? (
      <>
        {hint} {blank}
      </>
    ) : (
      blank
    );
  }

  /** Props of a `Field` for one training value. */
  function fieldOf(field: RunFormField) {
    return { id: fieldId(field), hint: hintOf(field), errors: placed.at(BODY_FIELDS[field]), errorTestId: ERROR_TEST_ID };
  }

  /** Props of the input bound to one training value. */
  function inputOf(field: RunFormField) {
    return {
      ...controlProps(fieldId(field), placed.at(BODY_FIELDS[field]), hintOf(field) !== undefined),
      value: values[field],
      onChange: (event: ChangeEvent<HTMLInputElement | HTMLSelectElement>) =>
        setTyped((current) => ({ ...current, [field]: event.target.value })),
      "data-testid": testIdOf(field),
    };
  }

  const datasetErrors = placed.at("dataset_key");
  const modelErrors = placed.at("model_id");
  const modelHint: ReactNode = statusPending ? (
    "Loading the models…"
  ) : isOther ? (
    `Defaults below are the server's for a pretrained checkpoint: LoRA at 2e-4, batches of ${PRETRAINED_DEFAULTS.batchSize} x ${PRETRAINED_DEFAULTS.maxSeqLength} tokens.`
  ) : local ? (
    <>
      <span data-testid="run:model-description">{local.description}</span> — a checkpoint under <code>MODEL_DIR</code>: the
      defaults below fine-tune it with LoRA in small batches ({LOCAL_DEFAULTS.batchSize} x {LOCAL_DEFAULTS.maxSeqLength} tokens,{" "}
      {LOCAL_DEFAULTS.maxSteps} steps).
      {local.note && (
        <span className="warning-text model-note" data-testid="run:model-note">
          {local.note}
        </span>
      )}
    </>
  ) : (
    `${builtin[choice] ?? ""} — a toy model: the defaults below train it in a minute or two on a CPU.`
  );

  return (
    <form className="card run-form" onSubmit={submit} noValidate aria-labelledby={`${id}-title`} data-testid="run:form">
      <h2 id={`${id}-title`}>Run</h2>
      {datasets.isError && <ErrorMessage error={datasets.error} title="Could not load datasets" />}
      <div className="form-grid name-row">
        <Field
          id={fieldId("dataset")}
          label="Dataset"
          hint={datasets.isSuccess && listed.length === 0 ? <NoDatasetsYet /> : undefined}
          errors={datasetErrors}
          errorTestId={ERROR_TEST_ID}
          wide
        >
          <select
            {...controlProps(fieldId("dataset"), datasetErrors, datasets.isSuccess && listed.length === 0)}
            value={datasetKey}
            onChange={(event) => chooseDataset(event.target.value)}
            disabled={datasets.isPending && !requested}
            data-testid="run:dataset"
          >
            {datasets.isPending && !requested && <option value="">Loading datasets…</option>}
            {unlisted !== null && <option value={unlisted}>{unlisted}</option>}
            {listed.map((dataset) => (
              <option key={dataset.dataset_key} value={dataset.dataset_key}>
                {dataset.dataset_key} — {dataset.trace_count.toLocaleString()} traces
              </option>
            ))}
          </select>
        </Field>
        <Field id={fieldId("model")} label="Model" hint={modelHint} errors={isOther ? [] : modelErrors} errorTestId={ERROR_TEST_ID} wide>
          <select
            {...controlProps(fieldId("model"), isOther ? [] : modelErrors, true)}
            value={statusPending ? "" : choice}
            onChange={(event) => setModelChoice(event.target.value)}
            disabled={statusPending}
            data-testid="run:model"
          >
            <ModelOptions loading={statusPending} builtinIds={builtinIds} localModels={localModels} ungroupedWhenAlone />
            {!statusPending && <option value={OTHER_MODEL}>Other model id / local checkpoint…</option>}
          </select>
        </Field>
        {isOther && (
          <Field
            id={fieldId("model-other")}
            label="Model id or checkpoint"
            hint={
              <>
                A directory with <code>config.json</code> and a tokenizer: an absolute path, or a name under{" "}
                <code>MODEL_DIR</code>.
              </>
            }
            errors={modelErrors}
            errorTestId={ERROR_TEST_ID}
            wide
          >
            <input
              type="text"
              autoComplete="off"
              spellCheck={false}
              placeholder="google/gemma-3-270m-it"
              {...controlProps(fieldId("model-other"), modelErrors, true)}
              value={otherModel}
              onChange={(event) => setOtherModel(event.target.value)}
              data-testid="run:model-other"
            />
          </Field>
        )}
      </div>

      <fieldset>
        <legend>Training</legend>
        <div className="form-grid compact">
          <Field label="Learning rate" {...fieldOf("learningRate")}>
            <input type="number" step="any" {...inputOf("learningRate")} />
          </Field>
          <Field label="Batch size" {...fieldOf("batchSize")}>
            <input type="number" min={1} step={1} {...inputOf("batchSize")} />
          </Field>
          <Field label="Max seq length" {...fieldOf("maxSeqLength")}>
            <input type="number" min={16} step={1} {...inputOf("maxSeqLength")} />
          </Field>
          <Field label="Epochs" {...fieldOf("numEpochs")}>
            <input type="number" min={1} step={1} {...inputOf("numEpochs")} />
          </Field>
          <Field label="Max steps" {...fieldOf("maxSteps")}>
            <input type="number" min={1} step={1} placeholder="epochs" {...inputOf("maxSteps")} />
          </Field>
          <Field label="LR schedule" {...fieldOf("lrSchedule")}>
            <select {...inputOf("lrSchedule")}>
              <option value="cosine">cosine</option>
              <option value="linear">linear</option>
              <option value="constant">constant</option>
            </select>
          </Field>
          <Field label="Warmup steps" {...fieldOf("warmupSteps")}>
            <input type="number" min={0} step={1} {...inputOf("warmupSteps")} />
          </Field>
          <Field label="Eval every" {...fieldOf("evalEveryNSteps")}>
            <input type="number" min={1} step={1} {...inputOf("evalEveryNSteps")} />
          </Field>
          <Field label="Checkpoint every" {...fieldOf("checkpointEveryNSteps")}>
            <input type="number" min={1} step={1} {...inputOf("checkpointEveryNSteps")} />
          </Field>
          <Field label="Seed" {...fieldOf("seed")}>
            <input type="number" min={0} step={1} {...inputOf("seed")} />
          </Field>
          <Field label="Generations" {...fieldOf("numGenerations")}>
            <input type="number" min={0} step={1} {...inputOf("numGenerations")} />
          </Field>
          <Field label="Method" {...fieldOf("method")}>
            <select {...inputOf("method")}>
              <option value="full">full</option>
              <option value="lora">lora</option>
            </select>
          </Field>
          {values.method === "lora" && (
            <>
              <Field label="LoRA rank" {...fieldOf("loraRank")}>
                <input type="number" min={1} step={1} {...inputOf("loraRank")} />
              </Field>
              <Field label="LoRA alpha" {...fieldOf("loraAlpha")}>
                <input type="number" step="any" {...inputOf("loraAlpha")} />
              </Field>
            </>
          )}
        </div>
      </fieldset>

      <div className="form-grid">
        <Field label="Output dir (optional)" wide {...fieldOf("outputDir")}>
          <input type="text" autoComplete="off" spellCheck={false} placeholder="runs/<run id>" {...inputOf("outputDir")} />
        </Field>
      </div>

      <details
        className="run-form-labels"
        open={labelsOpen || labelErrors.name.length + labelErrors.tags.length > 0}
        onToggle={(event) => setLabelsOpen(event.currentTarget.open)}
        data-testid="run:form-labels"
      >
        <summary>
          Labels <span className="muted small">(optional): a name and tags to find the run by</span>
        </summary>
        <div className="form-grid">
          <Field id={fieldId("name")} label="Name" errors={labelErrors.name} errorTestId={ERROR_TEST_ID}>
            <input
              type="text"
              className="run-name-input"
              autoComplete="off"
              maxLength={200}
              {...controlProps(fieldId("name"), labelErrors.name)}
              value={labels.name}
              onChange={(event) => setLabels((current) => ({ ...current, name: event.target.value }))}
              data-testid="run:label-name"
            />
          </Field>
          <Field id={fieldId("tags")} label="Tags" hint={`${TAG_HINT}.`} errors={labelErrors.tags} errorTestId={ERROR_TEST_ID}>
            <input
              type="text"
              autoComplete="off"
              spellCheck={false}
              placeholder="baseline, lr-sweep"
              {...controlProps(fieldId("tags"), labelErrors.tags, true)}
              value={labels.tags}
              onChange={(event) => setLabels((current) => ({ ...current, tags: event.target.value }))}
              data-testid="run:label-tags"
            />
          </Field>
        </div>
      </details>

      <div className="form-footer run-buttons">
        <p className="muted small" id={`${id}-train-hint`} data-testid="run:train-hint">
          {statusPending
            ? "Checking the server's Tunix runtime and models…"
            : !ready
              ? "Choose a model (or type a model id) to run."
              : !canTrain
                ? "Tunix is not installed on the server: dry runs only."
                : "Queue training: a worker trains the run and its page opens to follow it live (it goes on if you leave). Train and wait: queued the same way, followed live here until it ends, then its result. Dry run: checks only."}
        </p>
        <div className="actions">
          <button type="submit" disabled={pending !== null || !datasetKey || !ready} data-testid="run:dry-run">
            {pending === "dry-run" ? "Checking…" : "Dry run"}
          </button>
          <button
            type="button"
            onClick={() => run("wait")}
            disabled={pending !== null || !datasetKey || !ready || !canTrain}
            aria-describedby={`${id}-train-hint`}
            data-testid="run:train-wait"
          >
            {pending === "wait" ? "Training…" : "Train and wait"}
          </button>
          <button
            type="button"
            className="primary"
            onClick={() => run("queue")}
            disabled={pending !== null || !datasetKey || !ready || !canTrain}
            aria-describedby={`${id}-train-hint`}
            data-testid="run:queue"
          >
            {pending === "queue" ? "Queueing…" : "Queue training"}
          </button>
        </div>
      </div>
      <FormErrorSummary error={error} placed={placed} title="Not run" testId={ERROR_TEST_ID} />
    </form>
  );
}
