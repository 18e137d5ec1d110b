import { Link, useParams } from "react-router";
import { isApiError } from "../../api/errors";
import { ErrorMessage } from "../../ui/ErrorMessage";
import { TryItLink } from "../playground/TryItLink";
import { formatLocalTime } from "../traces/payload";
import { AliasList } from "./AliasList";
import { MoveAliasForm } from "./MoveAliasForm";
import type { Model, ModelVersion } from "./models";
import { useModel, useVersions } from "./queries";
import { VersionTable } from "./VersionTable";

/** Each alias (`<name>:<alias>`) and version (`<name>@<version>`) as the Playground serves it. */
function TryIt({ model, versions }: { model: Model; versions: readonly ModelVersion[] }) {
  if (model.aliases.length === 0 && versions.length === 0) return null;
  return (
    <div className="try-it small" role="group" aria-labelledby="model-try-it" data-testid="models:try-it">
      <span id="model-try-it">Try in the Playground:</span>
      {model.aliases.map((alias) => (
        <TryItLink key={alias.alias} model={`${model.name}:${alias.alias}`} testId="models:try-alias">
          {alias.alias}
        </TryItLink>
      ))}
      {versions.map((version) => (
        <TryItLink key={version.id} model={`${model.name}@${version.version}`} testId="models:try-version">
          {version.version}
        </TryItLink>
      ))}
    </div>
  );
}

function Header({ model, versions, refreshError }: { model: Model; versions: readonly ModelVersion[]; refreshError: unknown }) {
  return (
    <section className="card" aria-labelledby="model-title" data-testid="models:detail">
      <div className="card-header">
        <h1 id="model-title">
          Model <span className="mono" data-testid="models:detail-name">{model.name}</span>
        </h1>
        <span className="muted small">
          {model.version_count} version{model.version_count === 1 ? "" : "s"}
          {model.latest_version && (
            <>
              , latest <span className="mono">{model.latest_version.version}</span>
            </>
          )}
        </span>
      </div>
      {model.description && <p className="model-description-full">{model.description}</p>}
      <p className="muted small">
        {model.task_type} · registered <time dateTime={model.created_at}>{formatLocalTime(model.created_at)}</time> · updated{" "}
        <time dateTime={model.updated_at}>{formatLocalTime(model.updated_at)}</time>
      </p>
      <TryIt model={model} versions={versions} />
      {refreshError !== null && <ErrorMessage error={refreshError} title="Could not refresh the model" />}
    </section>
  );
}

/**
 * One model: its versions (with where each came from and how it scored), its aliases
 * with their histories, roll back and delete, and a form to move an alias.
 */
export function ModelPage() {
  const { modelId = "" } = useParams();
  const model = useModel(modelId);
  const versions = useVersions(modelId);

  if (model.isPending) return <p className="muted">Loading the model…</p>;
  if (model.isError && !model.data) {
    // 422: not a UUID, so no model can have it.
    if (isApiError(model.error) && (model.error.status === 404 || model.error.status === 422)) {
      return (
        <section className="card" data-testid="models:not-found">
          <h1>Model not found</h1>
          <p>
            No model has the id <code>{modelId}</code>. <Link to="/models">Back to models</Link>
          </p>
        </section>
      );
    }
    return <ErrorMessage error={model.error} title="Could not load the model" />;
  }

  const detail = model.data;
  const rows = versions.data?.data ?? [];
  return (
    <div className="stack model-page">
      <p className="breadcrumb">
        <Link to="/models">← Models</Link>
      </p>
      <Header model={detail} versions={rows} refreshError={model.isError ? model.error : null} />
      <section className="card" aria-labelledby="versions-title" data-testid="models:versions-card">
        <div className="card-header">
          <h2 id="versions-title">Versions</h2>
          <span className="muted small">newest first</span>
        </div>
        {versions.isError && <ErrorMessage error={versions.error} title="Could not load the versions" />}
        {versions.isPending && <p className="muted">Loading the versions…</p>}
        {versions.data && rows.length === 0 && (
          <p className="muted" data-testid="models:versions-empty">
            No versions yet: open a completed training run and register it into this model.{" "}
            <Link to="/runs?status=completed&mode=local">Completed runs →</Link>
          </p>
        )}
        {rows.length > 0 && <VersionTable versions={rows} aliases={detail.aliases} protectedAliases={detail.protected_aliases} />}
      </section>
      <section className="card" aria-labelledby="aliases-title" data-testid="models:aliases-card">
        <div className="card-header">
          <h2 id="aliases-title">Aliases</h2>
          <span className="muted small">each with its history, newest first</span>
        </div>
        <AliasList modelId={detail.id} aliases={detail.aliases} protectedAliases={detail.protected_aliases} />
      </section>
      <MoveAliasForm modelId={detail.id} aliases={detail.aliases} protectedAliases={detail.protected_aliases} versions={rows} />
    </div>
  );
}
