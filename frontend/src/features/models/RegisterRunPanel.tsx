import { Fragment, useCallback, useId, useRef, useState, type FormEvent } from "react";
import { Link } from "react-router";
import { controlProps, Field } from "../../ui/Field";
import { ErrorMessage } from "../../ui/ErrorMessage";
import { FormErrorSummary, placeFieldErrors } from "../../ui/FieldErrors";
import { useRetryAfterToken } from "../auth/hooks";
import type { RunDetail } from "../runs/queries";
import { numberAt } from "../runs/runOutput";
import { MODEL_CHOICE_LIMIT, modelPath, REGISTER_FIELD_PATHS, type ModelVersion, type PromoteRequest } from "./models";
import { useCreateModel, useModels, usePromote, useVersionsOfRun, type Promoted } from "./queries";

const ERROR_TEST_ID = "models:promote-field-error";
/** The model choice that means "register a new model under the name typed". */
const NEW_MODEL = "";

/** The step of the checkpoint a promotion copies: only a completed run that saved one has weights to promote. */
export function promotableCheckpoint(run: Pick<RunDetail, "status" | "summary">): number | null {
  return run.status === "completed" ? numberAt(run.summary ?? {}, "latest_checkpoint") : null;
}

function Registered({ promoted }: { promoted: Promoted }) {
  const { version, created } = promoted;
  const link = (
    <Link to={modelPath(version.model_id)} data-testid="models:promoted-link">
      <span className="mono">{version.model_name}</span> {version.version}
    </Link>
  );
  return (
    <p className="success" role="status" data-testid="models:promoted" data-created={String(created)}>
      {created ? <>Registered as {link}.</> : <>This checkpoint is registered already: {link}.</>}
    </p>
  );
}

/** The versions the run was promoted to already, each linked to its model. */
function RegisteredAlready({ versions }: { versions: readonly ModelVersion[] }) {
  if (versions.length === 0) return null;
  return (
    <p className="registered-as small" data-testid="models:run-registered">
      Registered as{" "}
      {versions.map((version, i) => (
        <Fragment key={version.id}>
          {i > 0 && (i === versions.length - 1 ? " and " : ", ")}
          <Link to={modelPath(version.model_id)} data-testid="models:run-version-link">
            <span className="mono">{version.model_name}</span> {version.version}
          </Link>
        </Fragment>
      ))}
      . It can go into another model too.
    </p>
  );
}

function RegisterRunForm({ runId, checkpoint }: { runId: string; checkpoint: number }) {
  const id = useId();
  const models = useModels(0, MODEL_CHOICE_LIMIT);
  const registered = useVersionsOfRun(runId);
  const [choice, setChoice] = useState<string | null>(null);
  const [name, setName] = useState("");
  const [label, setLabel] = useState("");
  const create = useCreateModel();
  const promote = usePromote();
  const form = useRef<HTMLFormElement>(null);

  const rows = models.data?.data ?? [];
  const versions = registered.data ?? [];
  const versionIn = (model: string) => versions.find((version) => version.model_id === model);
  // Promoting into a model that has the run already only answers its version: offer another.
  const modelId = choice ?? rows.find((model) => versionIn(model.id) === undefined)?.id ?? NEW_MODEL;
  const isNew = modelId === NEW_MODEL;
  const loading = models.isPending || registered.isPending;
  const busy = create.isPending || promote.isPending;

  function promoteInto(target: string) {
    const body: PromoteRequest = { source_run_id: runId };
    if (label.trim()) body.version_label = label.trim();
    promote.mutate({ modelId: target, body });
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    create.reset();
    promote.reset();
    if (!isNew) {
      // Held: once promoted, the default would move on to a model without the run.
      setChoice(modelId);
      promoteInto(modelId);
      return;
    }
    create.mutate(
      { name: name.trim() },
      {
        onSuccess: (model) => {
          // Chosen from now on: a failed promotion is retried into it, not registered again.
          setChoice(model.id);
          promoteInto(model.id);
        },
      },
    );
  }

  const error = create.error ?? promote.error;
  // A 401 is answered before anything is written: sent again as it stands once a token is saved.
  const retry = useCallback(() => form.current?.requestSubmit(), []);
  useRetryAfterToken(error, retry);
  const placed = placeFieldErrors(error, REGISTER_FIELD_PATHS);
  const field = (input: string, path: string) => ({ id: `${id}-${input}`, errors: placed.at(path), errorTestId: ERROR_TEST_ID });

  return (
    <form ref={form} className="card register-run" onSubmit={submit} noValidate aria-labelledby={`${id}-title`} data-testid="models:promote-form">
      <div className="card-header">
        <h2 id={`${id}-title`}>Register this model</h2>
        <Link to="/models" className="small">
          Models →
        </Link>
      </div>
      <p className="muted small">
        Copies the run's final checkpoint into the model registry as a new, immutable version, with its metrics and provenance.
      </p>
      {models.isError && <ErrorMessage error={models.error} title="Could not load the models" />}
      {registered.isError && <ErrorMessage error={registered.error} title="Could not look up where this run is registered" />}
      {/* The one just registered is told below. */}
      <RegisteredAlready versions={versions.filter((version) => version.id !== promote.data?.version.id)} />
      <div className="form-grid register-run-grid">
        <Field label="Model" {...field("model", "model")}>
          <select
            {...controlProps(`${id}-model`)}
            value={modelId}
            onChange={(event) => setChoice(event.target.value)}
            disabled={loading}
            data-testid="models:promote-model"
          >
            {rows.map((model) => {
              const has = versionIn(model.id);
              return (
                <option key={model.id} value={model.id}>
                  {model.name}
                  {has ? ` (has this run as ${has.version})` : model.latest_version ? ` (latest ${model.latest_version.version})` : ""}
                </option>
              );
            })}
            <option value={NEW_MODEL}>{loading ? "Loading…" : "New model…"}</option>
          </select>
        </Field>
        {isNew && (
          <Field label="New model's name" hint="Letters, digits, . _ -" {...field("name", "name")}>
            <input
              type="text"
              required
              autoComplete="off"
              spellCheck={false}
              placeholder="duel-reasoner"
              {...controlProps(`${id}-name`, placed.at("name"), true)}
              value={name}
              onChange={(event) => setName(event.target.value)}
              data-testid="models:promote-name"
            />
          </Field>
        )}
        <Field label="Version label (optional)" hint="Default: the next v1, v2, …" {...field("label", "version_label")}>
          <input
            type="text"
            autoComplete="off"
            spellCheck={false}
            placeholder="v1, v2, …"
            {...controlProps(`${id}-label`, placed.at("version_label"), true)}
            value={label}
            onChange={(event) => setLabel(event.target.value)}
            data-testid="models:promote-label"
          />
        </Field>
      </div>
      <div className="form-footer">
        <span className="muted small" data-testid="models:promote-checkpoint">
          Its final checkpoint: step {checkpoint}.
        </span>
        <button type="submit" className="primary" disabled={busy || loading || (isNew && !name.trim())} data-testid="models:promote-submit">
          {busy ? "Registering…" : "Register"}
        </button>
      </div>
      <FormErrorSummary error={error} placed={placed} title="Not registered" testId={ERROR_TEST_ID} />
      {promote.data && !error && <Registered promoted={promote.data} />}
    </form>
  );
}

/** On a completed run's page: promote its final checkpoint into a model, new or existing. Nothing for any other run. */
export function RegisterRunPanel({ run }: { run: RunDetail }) {
  const checkpoint = promotableCheckpoint(run);
  if (checkpoint === null) return null;
  return <RegisterRunForm runId={run.run_id} checkpoint={checkpoint} />;
}
