import { Link, useParams } from "react-router";
import { isApiError } from "../../api/errors";
import { ErrorMessage } from "../../ui/ErrorMessage";
import { BuiltOnDataset } from "../models/BuiltOnDataset";
import { runsPath } from "../runs/runForm";
import { formatLocalTime } from "../traces/payload";
import { DatasetMembers } from "./DatasetMembers";
import { DatasetStatsCard } from "./DatasetStatsCard";
import { DeleteDataset } from "./DeleteDataset";
import { ExportCard } from "./ExportCard";
import { flattenBuild, formatRatio } from "./manifest";
import { useDataset, type DatasetManifest } from "./queries";
import { TemplateCard } from "./TemplateCard";

function Overview({ manifest }: { manifest: DatasetManifest }) {
  const { trace_count: total, split } = manifest;
  return (
    <article className="card" data-testid="dataset:detail" aria-labelledby="dataset-title">
      <div className="card-header">
        <h1 id="dataset-title">
          <span className="mono" data-testid="dataset:key">
            {manifest.dataset_key}
          </span>
        </h1>
        <div className="actions">
          <Link className="button-link button-size" to={runsPath(manifest.dataset_key)} data-testid="dataset:run-link">
            Run with Tunix
          </Link>
          <DeleteDataset datasetKey={manifest.dataset_key} />
        </div>
      </div>
      <p className="muted small">
        Created <time dateTime={manifest.created_at}>{formatLocalTime(manifest.created_at)}</time> · version{" "}
        {manifest.version} of <span className="mono">{manifest.name}</span>
      </p>
      {manifest.description && <p data-testid="dataset:description">{manifest.description}</p>}
      <dl className="facts">
        <dt>Traces</dt>
        <dd data-testid="dataset:trace-count">{total.toLocaleString()}</dd>
        <dt>Split</dt>
        <dd>
          train <strong data-testid="dataset:split-train">{split.train.toLocaleString()}</strong> · eval{" "}
          <strong data-testid="dataset:split-eval">{split.eval.toLocaleString()}</strong>
          {total > 0 && <span className="muted"> ({formatRatio(split.eval / total)} held out)</span>}
        </dd>
        <dt>Content sha256</dt>
        <dd className="mono hash" data-testid="dataset:sha256">
          {manifest.content_sha256}
        </dd>
      </dl>
      <h3>Build parameters</h3>
      <dl className="facts" data-testid="dataset:build-params">
        {flattenBuild(manifest.build).map(([name, value]) => (
          <div key={name} className="fact">
            <dt className="mono">{name}</dt>
            <dd className="mono">{value}</dd>
          </div>
        ))}
      </dl>
    </article>
  );
}

/**
 * One dataset's manifest: parameters, split, hash, what was built on it, stats, template
 * sample, exports, and its member traces by split.
 */
export function DatasetDetailPage() {
  const { key = "" } = useParams();
  const dataset = useDataset(key);

  if (dataset.isPending) return <p className="muted">Loading dataset…</p>;
  if (dataset.isError) {
    if (isApiError(dataset.error) && dataset.error.status === 404) {
      return (
        <section className="card" data-testid="dataset:not-found">
          <h1>Dataset not found</h1>
          <p>{typeof dataset.error.detail === "string" ? dataset.error.detail : `No dataset ${key}.`}</p>
          <p>
            <Link to="/datasets">Back to datasets</Link>
          </p>
        </section>
      );
    }
    return <ErrorMessage error={dataset.error} title="Could not load the dataset" />;
  }

  const manifest = dataset.data;
  return (
    <div className="stack">
      <p className="breadcrumb">
        <Link to="/datasets">← Datasets</Link>
      </p>
      <div className="detail-grid dataset-grid">
        <div className="stack">
          <Overview manifest={manifest} />
          <BuiltOnDataset datasetKey={manifest.dataset_key} />
          <TemplateCard template={manifest.template} />
        </div>
        <div className="stack">
          <DatasetStatsCard stats={manifest.stats} />
          <ExportCard manifest={manifest} />
        </div>
      </div>
      <DatasetMembers manifest={manifest} />
    </div>
  );
}
