import { ErrorMessage } from "../../ui/ErrorMessage";
import { formatSeconds } from "../runs/runOutput";
import { formatRate, SERVING_STATUS_POLL_MS, type LoadedModel } from "./playground";
import { useServingStatus } from "./queries";

function modelState(model: LoadedModel): { label: string; className: string } {
  if (!model.alive) return { label: "stopped", className: "pill pill-bad" };
  if (!model.ready) return { label: "loading", className: "pill" };
  return { label: "ready", className: "pill pill-ok" };
}

function LoadedModelItem({ model }: { model: LoadedModel }) {
  const state = modelState(model);
  return (
    <li className="serving-model" data-testid="playground:loaded-model" data-model={model.model_id}>
      <div className="serving-model-head">
        {/* The names it was asked for by (hcd:prod), else what it is (a built-in model). */}
        <strong className="mono" data-testid="playground:loaded-name">
          {model.names.length > 0 ? model.names.join(", ") : model.model_id}
        </strong>
        <span className={state.className} data-testid="playground:loaded-state">
          {state.label}
        </span>
      </div>
      <p className="muted small mono serving-key" title={model.key}>
        {model.names.length > 0 ? `${model.model_id} · ` : ""}
        {model.key.length > 40 ? `${model.key.slice(0, 40)}…` : model.key}
      </p>
      <dl className="serving-facts small">
        <div>
          <dt>Queue</dt>
          <dd data-testid="playground:queue-depth">{model.queue_depth}</dd>
        </div>
        <div>
          <dt>In flight</dt>
          <dd>{model.in_flight}</dd>
        </div>
        <div>
          <dt>Requests</dt>
          <dd>{model.requests.toLocaleString()}</dd>
        </div>
        <div>
          <dt>Tokens/s</dt>
          <dd data-testid="playground:loaded-rate">{model.tokens_per_second === null ? "—" : formatRate(model.tokens_per_second)}</dd>
        </div>
        <div>
          <dt>Context</dt>
          <dd>{model.context_length === null ? "—" : model.context_length.toLocaleString()}</dd>
        </div>
        <div>
          <dt>Loaded in</dt>
          <dd>{model.load_seconds === null ? "—" : formatSeconds(model.load_seconds)}</dd>
        </div>
      </dl>
    </li>
  );
}

/** What the server has loaded, its queues and speeds; refreshed while the page is open. */
export function ServingStatusPanel() {
  const status = useServingStatus();
  const data = status.data;
  return (
    <section className="card playground-status" aria-labelledby="serving-status-title" data-testid="playground:status">
      <div className="card-header">
        <h2 id="serving-status-title">Serving</h2>
        <span className="muted small">every {SERVING_STATUS_POLL_MS / 1000} s</span>
      </div>
      {status.isPending && <p className="muted small">Loading the serving status…</p>}
      {status.isError && <ErrorMessage error={status.error} title="Could not read the serving status" />}
      {data && (
        <>
          {!data.available && (
            <p className="warning-text small" data-testid="playground:unavailable">
              The Tunix runtime is not installed on the server: no model can be served.
            </p>
          )}
          <p className="muted small" data-testid="playground:slots">
            {data.models.length} of {data.max_models} model slot{data.max_models === 1 ? "" : "s"} in use · batches of up to {data.max_batch} within{" "}
            {data.batch_window_ms} ms
          </p>
          {data.models.length === 0 ? (
            <p className="muted small">No model is loaded: the first request to one loads it.</p>
          ) : (
            <ul className="serving-models">
              {data.models.map((model) => (
                <LoadedModelItem key={model.key} model={model} />
              ))}
            </ul>
          )}
        </>
      )}
    </section>
  );
}
