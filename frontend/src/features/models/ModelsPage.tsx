import { useState } from "react";
import { Link } from "react-router";
import { ErrorMessage } from "../../ui/ErrorMessage";
import { formatLocalTime } from "../traces/payload";
import { AliasChips } from "./AliasChips";
import { MODEL_PAGE_SIZE, modelPath, type Model } from "./models";
import { useModels } from "./queries";
import { RegisterModelForm } from "./RegisterModelForm";

function ModelRow({ model }: { model: Model }) {
  return (
    <tr data-testid="models:row" data-name={model.name}>
      <td>
        <Link to={modelPath(model.id)} className="mono model-name" data-testid="models:open">
          {model.name}
        </Link>
        {model.description && <div className="muted small model-description">{model.description}</div>}
      </td>
      <td data-testid="models:latest">{model.latest_version ? <span className="mono">{model.latest_version.version}</span> : <span className="muted">none yet</span>}</td>
      <td className="num" data-testid="models:version-count">
        {model.version_count}
      </td>
      <td className="aliases-cell" data-testid="models:aliases">
        <AliasChips aliases={model.aliases} />
      </td>
      <td>
        <time dateTime={model.updated_at}>{formatLocalTime(model.updated_at)}</time>
      </td>
    </tr>
  );
}

/** The model registry: every model with its newest version and aliases; a form to register one. */
export function ModelsPage() {
  const [offset, setOffset] = useState(0);
  const models = useModels(offset);
  const page = models.data;
  const rows = page?.data ?? [];
  const nextOffset = page?.pagination.next_offset ?? null;

  return (
    <div className="models-grid">
      <section className="card" aria-labelledby="models-title" data-testid="models:page">
        <div className="card-header">
          <h1 id="models-title">Models</h1>
          <Link to="/runs" className="small">
            Runs →
          </Link>
        </div>
        <p className="muted small">
          A model holds versions promoted from completed runs: each an immutable copy of the run's final checkpoint, with
          its metrics and provenance. Aliases such as <code>staging</code> point at a version; a protected one (
          <code>prod</code>) moves to a new version only when its run passes a regression check.
        </p>
        {models.isError && <ErrorMessage error={models.error} title={page ? "Could not refresh the models" : "Could not load the models"} />}
        {models.isPending && <p className="muted">Loading the models…</p>}
        {page && rows.length === 0 && (
          <p className="muted" data-testid="models:empty">
            {offset > 0 ? "No models on this page." : "No models yet: register one, or register a completed run from its page."}
          </p>
        )}
        {rows.length > 0 && (
          <div className="table-wrap">
            <table className="models" data-testid="models:list" aria-busy={models.isPlaceholderData}>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Latest</th>
                  <th scope="col" className="num">
                    Versions
                  </th>
                  <th scope="col">Aliases</th>
                  <th scope="col">Updated</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((model) => (
                  <ModelRow key={model.id} model={model} />
                ))}
              </tbody>
            </table>
          </div>
        )}
        {(offset > 0 || nextOffset !== null) && (
          <nav className="pager" aria-label="Model pages">
            <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - MODEL_PAGE_SIZE))}>
              ← Previous
            </button>
            <button type="button" disabled={nextOffset === null || models.isPlaceholderData} onClick={() => nextOffset !== null && setOffset(nextOffset)}>
              Next →
            </button>
          </nav>
        )}
      </section>
      <RegisterModelForm />
    </div>
  );
}
