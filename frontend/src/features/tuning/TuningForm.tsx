import { useCallback, useId, useState, type FormEvent, type ReactNode } from "react";
import { Link, useNavigate } from "react-router";
import type { FieldError } from "../../api/errors";
import { ErrorMessage } from "../../ui/ErrorMessage";
import { controlProps, Field } from "../../ui/Field";
import { FormErrorSummary } from "../../ui/FieldErrors";
import { useRetryAfterToken } from "../auth/hooks";
import { NoDatasetsYet } from "../datasets/NoDatasetsYet";
import { localModelsOf } from "../runs/localModels";
import { ModelOptions } from "../runs/ModelOptions";
import { useRunDatasets, useTunixStatus } from "../runs/queries";
import { useCreateTuningJob, useStartTuningJob } from "./queries";
import { asFieldError, SearchSpaceEditor, SPACE_ERROR_TEST_ID } from "./SearchSpaceEditor";
import {
  hasProblems,
  newRow,
  nextFreeKey,
  placeTuningErrors,
  rowProblems,
  spacePath,
  STUDY_DEFAULTS,
  STUDY_FIELD_PATHS,
  studyProblems,
  toTuningRequest,
  TRAINING_DEFAULTS,
  TRAINING_KEYS,
  trainingPath,
  tuningPath,
  type SpaceRow,
  type StudyValues,
  type TrainingKey,
  type TrainingValues,
  type TuningJob,
  type TuningJobCreate,
} from "./tuning";

const ERROR_TEST_ID = SPACE_ERROR_TEST_ID;

const TRAINING_LABELS: Record<TrainingKey, { label: string; hint: string }> = {
  max_steps: { label: "Max steps", hint: "Each trial's most steps." },
  batch_size: { label: "Batch size", hint: "Examples a step." },
  max_seq_length: { label: "Max seq length", hint: "Tokens." },
  eval_every_n_steps: { label: "Eval every", hint: "Steps; each eval reports eval_loss." },
  checkpoint_every_n_steps: { label: "Checkpoint every", hint: "Steps." },
  num_generations: { label: "Generations", hint: "Held-out prompts answered at the end." },
};

type Submit = { body: TuningJobCreate; start: boolean };

/**
 * A new study: the dataset and base model, the metric and how it is searched, the search
 * space, and the training settings every trial shares. Create stores it (`created`);
 * Create and start also queues it for a worker; either opens its page.
 */
export function TuningForm() {
  const id = useId();
  const navigate = useNavigate();
  const status = useTunixStatus();
  const datasets = useRunDatasets();
  const create = useCreateTuningJob();
  const start = useStartTuningJob();

  const [values, setValues] = useState<StudyValues>(STUDY_DEFAULTS);
  const [datasetChoice, setDatasetChoice] = useState<string | null>(null);
  const [modelChoice, setModelChoice] = useState<string | null>(null);
  const [rows, setRows] = useState<SpaceRow[]>(() => [newRow("learning_rate", 0)]);
  const [nextId, setNextId] = useState(1);
  const [training, setTraining] = useState<TrainingValues>(TRAINING_DEFAULTS);
  /** A study created, whose start was refused. */
  const [notStarted, setNotStarted] = useState<TuningJob | null>(null);

  const listed = datasets.data?.data ?? [];
  const datasetKey = datasetChoice ?? listed[0]?.dataset_key ?? "";
  const dataset = listed.find((d) => d.dataset_key === datasetKey);

  const builtin = status.data?.builtin_models ?? {};
  const builtinIds = Object.keys(builtin);
  const localModels = localModelsOf(status.data);
  const modelIds = [...builtinIds, ...localModels.map((m) => m.model_id)];
  const modelId = modelChoice !== null && modelIds.includes(modelChoice) ? modelChoice : (modelIds[0] ?? "");
  const local = localModels.find((m) => m.model_id === modelId);

  const varied = new Set<string>(rows.map((row) => row.key));
  const placed = placeTuningErrors(create.error, [
    ...STUDY_FIELD_PATHS,
    ...rows.map((row) => spacePath(row.key)),
    ...TRAINING_KEYS.map(trainingPath),
  ]);
  const study = studyProblems(values);
  const noEvalSplit = values.metricName !== "train_loss" && dataset !== undefined && dataset.eval_count === 0;
  const evaluated = values.metricName === "primary_score";
  const spaceOk = rows.length > 0 && rows.every((row) => !hasProblems(rowProblems(row, rows)));
  const blocker = status.isPending
    ? "Loading the models…"
    : datasets.isPending
      ? "Loading the datasets…"
      : !datasetKey
        ? "Build a dataset first."
        : !modelId
          ? "No model to tune."
          : !values.name.trim()
            ? "Name the study."
            : hasProblems(study) || noEvalSplit
              ? "Fix the settings marked above."
              : !spaceOk
                ? "Fix the search space."
                : null;
  const busy = create.isPending || start.isPending;

  const fieldId = (name: string) => `${id}-${name}`;
  /** The server's errors at one input, and the form's own problem with it. */
  const errorsAt = (path: string, problem?: string): FieldError[] => [
    ...(problem ? [asFieldError(path, problem)] : []),
    ...placed.at(path),
  ];

  const { mutate: createMutate, variables } = create;
  const { mutate: startMutate, reset: resetStart } = start;
  const submit = useCallback(
    ({ body, start: andStart }: Submit) => {
      setNotStarted(null);
      resetStart();
      createMutate(body, {
        onSuccess: (job) => {
          if (!andStart) {
            navigate(tuningPath(job.id));
            return;
          }
          startMutate(job.id, {
            onSuccess: () => navigate(tuningPath(job.id)),
            onError: () => setNotStarted(job),
          });
        },
      });
    },
    [createMutate, navigate, startMutate, resetStart],
  );
  const [lastStart, setLastStart] = useState(false);
  const retry = useCallback(() => {
    if (variables) submit({ body: variables, start: lastStart });
  }, [submit, variables, lastStart]);
  useRetryAfterToken(create.error, retry);

  function send(andStart: boolean) {
    if (blocker !== null || busy) return;
    setLastStart(andStart);
    submit({ body: toTuningRequest(values, rows, training, { datasetKey, modelId }), start: andStart });
  }

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    send(false);
  }

  function addRow() {
    const key = nextFreeKey(rows);
    if (key === null) return;
    setRows([...rows, newRow(key, nextId)]);
    setNextId(nextId + 1);
  }

  function set<K extends keyof StudyValues>(key: K, value: StudyValues[K]) {
    setValues((current) => ({ ...current, [key]: value }));
  }

  /** A score is better higher and known only at a trial's end (no ASHA); a loss, lower. */
  function chooseMetric(metricName: StudyValues["metricName"]) {
    setValues((current) =>
      metricName === "primary_score"
        ? { ...current, metricName, metricMode: "max", scheduler: "fifo" }
        : { ...current, metricName, metricMode: current.metricName === "primary_score" ? "min" : current.metricMode },
    );
  }

  function select(name: string, path: string, control: ReactNode, { label, hint, problem }: { label: string; hint?: ReactNode; problem?: string }) {
    return (
      <Field id={fieldId(name)} label={label} hint={hint} errors={errorsAt(path, problem)} errorTestId={ERROR_TEST_ID}>
        {control}
      </Field>
    );
  }

  const nameErrors = errorsAt("name");
  const datasetErrors = errorsAt("dataset_key");
  const modelErrors = errorsAt("base_model_id");
  const metricProblem = noEvalSplit
    ? `${datasetKey} holds no eval split, so trials report no ${values.metricName}: tune on train_loss.`
    : undefined;

  return (
    <form className="card tuning-form" onSubmit={onSubmit} noValidate aria-labelledby={`${id}-title`} data-testid="tuning:form">
      <h2 id={`${id}-title`}>New study</h2>
      <p className="muted small">
        A study trains the same model on the same dataset several times (its trials), each with settings drawn from the
        search space, and keeps the one with the best metric. ASHA stops the trials that fall behind early.
      </p>
      {datasets.isError && <ErrorMessage error={datasets.error} title="Could not load datasets" />}
      {status.isError && <ErrorMessage error={status.error} title="Could not load the models" />}
      <div className="form-grid name-row">
        <Field id={fieldId("name")} label="Name" errors={nameErrors} errorTestId={ERROR_TEST_ID}>
          <input
            type="text"
            autoComplete="off"
            maxLength={200}
            placeholder="lr-sweep"
            {...controlProps(fieldId("name"), nameErrors)}
            value={values.name}
            onChange={(event) => set("name", event.target.value)}
            data-testid="tuning:name"
          />
        </Field>
        <Field
          id={fieldId("dataset")}
          label="Dataset"
          hint={
            datasets.isSuccess && listed.length === 0 ? (
              <NoDatasetsYet />
            ) : dataset ? (
              `${dataset.train_count} train / ${dataset.eval_count} eval examples`
            ) : undefined
          }
          errors={datasetErrors}
          errorTestId={ERROR_TEST_ID}
        >
          <select
            {...controlProps(fieldId("dataset"), datasetErrors, true)}
            value={datasetKey}
            onChange={(event) => setDatasetChoice(event.target.value)}
            disabled={datasets.isPending}
            data-testid="tuning:dataset"
          >
            {datasets.isPending && <option value="">Loading datasets…</option>}
            {listed.map((d) => (
              <option key={d.dataset_key} value={d.dataset_key}>
                {d.dataset_key} — {d.trace_count.toLocaleString()} traces
              </option>
            ))}
          </select>
        </Field>
        <Field
          id={fieldId("model")}
          label="Base model"
          hint={status.isPending ? "Loading the models…" : local ? local.description : builtin[modelId]}
          errors={modelErrors}
          errorTestId={ERROR_TEST_ID}
          wide
        >
          <select
            {...controlProps(fieldId("model"), modelErrors, true)}
            value={status.isPending ? "" : modelId}
            onChange={(event) => setModelChoice(event.target.value)}
            disabled={status.isPending}
            data-testid="tuning:model"
          >
            <ModelOptions loading={status.isPending} builtinIds={builtinIds} localModels={localModels} />
          </select>
        </Field>
      </div>

      <fieldset>
        <legend>Search</legend>
        <div className="form-grid compact">
          {select(
            "metric",
            "metric_name",
            <select
              {...controlProps(fieldId("metric"), errorsAt("metric_name", metricProblem))}
              value={values.metricName}
              onChange={(event) => chooseMetric(event.target.value as StudyValues["metricName"])}
              data-testid="tuning:metric-name"
            >
              <option value="eval_loss">eval_loss</option>
              <option value="train_loss">train_loss</option>
              <option value="primary_score">primary_score (evaluation)</option>
            </select>,
            {
              label: "Metric",
              hint: evaluated ? "Each trial's evaluation, at its end (the default judge, the eval split)." : undefined,
              problem: metricProblem,
            },
          )}
          {select(
            "mode",
            "metric_mode",
            <select
              {...controlProps(fieldId("mode"), errorsAt("metric_mode"), true)}
              value={values.metricMode}
              onChange={(event) => set("metricMode", event.target.value as StudyValues["metricMode"])}
              data-testid="tuning:metric-mode"
            >
              <option value="min">min</option>
              <option value="max">max</option>
            </select>,
            { label: "Best is", hint: values.metricMode === "min" ? "Lower is better." : "Higher is better." },
          )}
          {select(
            "samples",
            "num_samples",
            <input
              type="number"
              min={1}
              max={64}
              step={1}
              {...controlProps(fieldId("samples"), errorsAt("num_samples", study.numSamples), true)}
              value={values.numSamples}
              onChange={(event) => set("numSamples", event.target.value)}
              data-testid="tuning:num-samples"
            />,
            { label: "Trials", hint: "1 to 64.", problem: study.numSamples },
          )}
          {select(
            "concurrent",
            "max_concurrent_trials",
            <input
              type="number"
              min={1}
              max={16}
              step={1}
              {...controlProps(fieldId("concurrent"), errorsAt("max_concurrent_trials", study.maxConcurrentTrials), true)}
              value={values.maxConcurrentTrials}
              onChange={(event) => set("maxConcurrentTrials", event.target.value)}
              data-testid="tuning:max-concurrent"
            />,
            { label: "At once", hint: "Trials training together.", problem: study.maxConcurrentTrials },
          )}
          {select(
            "alg",
            "search_alg",
            <select
              {...controlProps(fieldId("alg"), errorsAt("search_alg"))}
              value={values.searchAlg}
              onChange={(event) => set("searchAlg", event.target.value as StudyValues["searchAlg"])}
              data-testid="tuning:search-alg"
            >
              <option value="random">random</option>
              <option value="optuna">optuna (TPE)</option>
            </select>,
            { label: "Search" },
          )}
          {select(
            "scheduler",
            "scheduler",
            <select
              {...controlProps(fieldId("scheduler"), errorsAt("scheduler"), true)}
              value={values.scheduler}
              onChange={(event) => set("scheduler", event.target.value as StudyValues["scheduler"])}
              data-testid="tuning:scheduler"
            >
              <option value="asha" disabled={evaluated}>
                asha
              </option>
              <option value="fifo">fifo</option>
            </select>,
            {
              label: "Scheduler",
              hint: evaluated
                ? "Every trial to its end: primary_score exists only then."
                : values.scheduler === "asha"
                  ? "Stops laggards early."
                  : "Every trial to its end.",
            },
          )}
          {select(
            "seed",
            "seed",
            <input
              type="number"
              min={0}
              step={1}
              {...controlProps(fieldId("seed"), errorsAt("seed", study.seed))}
              value={values.seed}
              onChange={(event) => set("seed", event.target.value)}
              data-testid="tuning:seed"
            />,
            { label: "Search seed", problem: study.seed },
          )}
        </div>
      </fieldset>

      <SearchSpaceEditor
        rows={rows}
        onChange={setRows}
        onAdd={addRow}
        rowErrors={(key) => placed.at(spacePath(key))}
        spaceErrors={placed.at("search_space")}
        disabled={busy}
      />

      <fieldset>
        <legend>Every trial</legend>
        <p className="hint">Fixed training settings the trials share; a blank one takes the server&apos;s default.</p>
        <div className="form-grid compact">
          {TRAINING_KEYS.map((key) => {
            const isVaried = varied.has(key);
            const errors = errorsAt(trainingPath(key));
            const name = `training-${key}`;
            return (
              <Field
                key={key}
                id={fieldId(name)}
                label={TRAINING_LABELS[key].label}
                hint={isVaried ? "Varied by the search space." : TRAINING_LABELS[key].hint}
                errors={errors}
                errorTestId={ERROR_TEST_ID}
              >
                <input
                  type="number"
                  min={key === "num_generations" ? 0 : 1}
                  step={1}
                  {...controlProps(fieldId(name), errors, true)}
                  value={isVaried ? "" : training[key]}
                  placeholder={isVaried ? "varied" : "default"}
                  disabled={isVaried}
                  onChange={(event) => setTraining((current) => ({ ...current, [key]: event.target.value }))}
                  data-testid={`tuning:training-${key.replace(/_/g, "-")}`}
                />
              </Field>
            );
          })}
        </div>
      </fieldset>

      <div className="form-footer">
        <p className="muted small" id={`${id}-submit-hint`} data-testid="tuning:submit-hint">
          {blocker ?? "Create stores the study; start it from its page. Create and start also queues it for a worker."}
        </p>
        <div className="actions">
          <button type="submit" disabled={blocker !== null || busy} aria-describedby={`${id}-submit-hint`} data-testid="tuning:create">
            {create.isPending && !lastStart ? "Creating…" : "Create"}
          </button>
          <button
            type="button"
            className="primary"
            onClick={() => send(true)}
            disabled={blocker !== null || busy}
            aria-describedby={`${id}-submit-hint`}
            data-testid="tuning:create-start"
          >
            {busy && lastStart ? (start.isPending ? "Starting…" : "Creating…") : "Create and start"}
          </button>
        </div>
      </div>
      <FormErrorSummary error={create.error} placed={placed} title="Not created" testId={ERROR_TEST_ID} />
      {notStarted && start.isError && (
        <div data-testid="tuning:not-started">
          <ErrorMessage error={start.error} title="Created, but not started" />
          <p className="hint">
            The study is stored:{" "}
            <Link to={tuningPath(notStarted.id)} data-testid="tuning:not-started-link">
              open {notStarted.name}
            </Link>{" "}
            to start it later.
          </p>
        </div>
      )}
    </form>
  );
}
