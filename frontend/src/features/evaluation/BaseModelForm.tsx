import { useCallback, useId, useState, type FormEvent } from "react";
import { Link } from "react-router";
import { ErrorMessage } from "../../ui/ErrorMessage";
import { Field } from "../../ui/Field";
import { useRetryAfterToken } from "../auth/hooks";
import { localModelSize, localModelsOf } from "../runs/localModels";
import { RunStatusBadge } from "../runs/RunStatusBadge";
import { useRunDatasets, useTunixStatus } from "../runs/queries";
import { evaluationPath, formatShare, isEvaluationLive } from "./evaluation";
import { initialJudge, JudgeHint, JudgeSelect } from "./JudgeSelect";
import { useEvaluateModel, useEvaluation, useJudges } from "./queries";

const FIELD_ERROR_TEST_ID = "leaderboard:base-field-error";

/** The evaluation just queued, followed until it ends. */
function Queued({ evaluationId }: { evaluationId: string }) {
  const evaluation = useEvaluation(evaluationId);
  const detail = evaluation.data;
  return (
    <p className="success base-queued" data-testid="leaderboard:base-queued">
      Queued evaluation{" "}
      <Link to={evaluationPath(evaluationId)} className="mono" data-testid="leaderboard:base-link">
        {evaluationId.slice(0, 8)}
      </Link>
      {detail && (
        <>
          {" "}
          <RunStatusBadge status={detail.status} testId="leaderboard:base-status" />{" "}
          {isEvaluationLive(detail.status) && detail.progress.total > 0 && (
            <span className="muted small">
              {detail.progress.done} / {detail.progress.total} items
            </span>
          )}
          {detail.primary_score !== null && <strong> {formatShare(detail.primary_score)}</strong>}
        </>
      )}
    </p>
  );
}

/**
 * Evaluates a model as it is (a built-in one, or a checkpoint the server has), without a
 * run: the baseline a fine-tune must beat. Queued; the new evaluation is linked and followed.
 */
export function BaseModelForm() {
  const id = useId();
  const datasets = useRunDatasets();
  const tunix = useTunixStatus();
  const judges = useJudges();
  const [modelId, setModelId] = useState("tunix-rt/tiny-gemma3");
  const [datasetChoice, setDatasetChoice] = useState<string | null>(null);
  const [judgeChoice, setJudgeChoice] = useState<string | null>(null);
  const evaluate = useEvaluateModel();

  const keys = (datasets.data?.data ?? []).map((d) => d.dataset_key);
  const datasetKey = datasetChoice ?? datasets.data?.data[0]?.dataset_key ?? "";
  const judgeList = judges.data ?? [];
  const judge = judgeChoice ?? initialJudge(judgeList);
  const builtinModels = Object.entries(tunix.data?.builtin_models ?? {});
  const localModels = localModelsOf(tunix.data);

  const { mutate } = evaluate;
  const model = modelId.trim();
  const chosenLocal = localModels.find((m) => m.model_id === model);
  const modelHint = chosenLocal ? (
    <span data-testid="leaderboard:base-model-hint">
      {chosenLocal.description}
      {localModelSize(chosenLocal) && ` (${localModelSize(chosenLocal)})`}: a checkpoint under <code>MODEL_DIR</code>
    </span>
  ) : (
    "A built-in model, or a checkpoint under MODEL_DIR"
  );
  const submit = useCallback(() => mutate({ modelId: model, datasetKey, judge }), [mutate, model, datasetKey, judge]);
  useRetryAfterToken(evaluate.error, submit);

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    submit();
  }

  return (
    <section className="card" aria-labelledby="base-model-title" data-testid="leaderboard:base-model">
      <h2 id="base-model-title">Evaluate a base model</h2>
      <p className="muted small">
        Score a model as it is, without training, on a dataset's held-out split: the baseline a fine-tune must beat. It joins
        the leaderboard once completed (unless its judge is a mock).
      </p>
      <form onSubmit={onSubmit} noValidate>
        <div className="form-grid base-model-grid">
          <Field id={`${id}-model`} label="Model" errorTestId={FIELD_ERROR_TEST_ID} hint={modelHint}>
            <input
              id={`${id}-model`}
              type="text"
              list={`${id}-models`}
              value={modelId}
              onChange={(event) => setModelId(event.target.value)}
              required
              data-testid="leaderboard:base-model-id"
            />
            <datalist id={`${id}-models`} data-testid="leaderboard:base-models">
              {builtinModels.map(([name, description]) => (
                <option key={name} value={name}>
                  {description}
                </option>
              ))}
              {localModels.map((local) => (
                <option key={local.model_id} value={local.model_id}>
                  {[localModelSize(local), local.description].filter(Boolean).join(" — ")}
                </option>
              ))}
            </datalist>
          </Field>
          <Field id={`${id}-dataset`} label="Dataset" errorTestId={FIELD_ERROR_TEST_ID}>
            <select
              id={`${id}-dataset`}
              value={datasetKey}
              onChange={(event) => setDatasetChoice(event.target.value)}
              data-testid="leaderboard:base-dataset"
            >
              {keys.length === 0 && <option value="">{datasets.isPending ? "Loading…" : "No datasets yet"}</option>}
              {keys.map((key) => (
                <option key={key} value={key}>
                  {key}
                </option>
              ))}
            </select>
          </Field>
          <Field id={`${id}-judge`} label="Judge" errorTestId={FIELD_ERROR_TEST_ID} hint={<JudgeHint judge={judgeList.find((j) => j.name === judge)} />}>
            <JudgeSelect
              id={`${id}-judge`}
              judges={judgeList}
              value={judge ?? ""}
              onChange={setJudgeChoice}
              testId="leaderboard:base-judge"
              describedBy={`${id}-judge-hint`}
            />
          </Field>
        </div>
        <div className="form-footer">
          <span className="muted small">Evaluate queues it for a worker; its progress then shows here.</span>
          <button type="submit" className="primary" disabled={evaluate.isPending || !model || !datasetKey} data-testid="leaderboard:base-submit">
            {evaluate.isPending ? "Queueing…" : "Evaluate"}
          </button>
        </div>
      </form>
      {judges.isError && <ErrorMessage error={judges.error} title="Could not load the judges (the server's default is used)" />}
      {evaluate.isError && <ErrorMessage error={evaluate.error} title="Not evaluated" />}
      {evaluate.data && <Queued key={evaluate.data.id} evaluationId={evaluate.data.id} />}
    </section>
  );
}
