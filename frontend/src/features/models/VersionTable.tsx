import { useCallback, useState, type MouseEvent, type ReactNode } from "react";
import { Link } from "react-router";
import { ErrorMessage } from "../../ui/ErrorMessage";
import { saveBlob } from "../../ui/saveBlob";
import { useRetryAfterToken } from "../auth/hooks";
import { datasetPath } from "../datasets/manifest";
import { evaluationPath, formatShare } from "../evaluation/evaluation";
import { formatBytes } from "../runs/artifacts";
import { runPath, shortRunId } from "../runs/history";
import { formatLoss } from "../runs/runOutput";
import { formatLocalTime } from "../traces/payload";
import { AliasChips } from "./AliasChips";
import {
  readProvenance,
  shortSha,
  versionDownloadPath,
  versionFinalLoss,
  versionScore,
  type Alias,
  type ModelVersion,
} from "./models";
import { useVersionDownload, type DownloadableVersion } from "./queries";
import { VersionLineageGraph } from "./VersionLineageGraph";

const COLUMNS = 9;

function Fact({ term, children }: { term: string; children: ReactNode }) {
  return (
    <div className="fact">
      <dt>{term}</dt>
      <dd>{children ?? <span className="muted">—</span>}</dd>
    </div>
  );
}

function Hash({ value }: { value: string | null }) {
  return value ? <span className="mono hash">{value}</span> : null;
}

/** Where the version came from (as its run recorded it), its full hash and training figures. */
function VersionDetail({ version }: { version: ModelVersion }) {
  const p = readProvenance(version.provenance);
  const training = version.metrics.training as Record<string, unknown> | undefined;
  const steps = typeof training?.steps === "number" ? training.steps : null;
  return (
    <div className="version-detail" data-testid="models:provenance">
      {version.description && <p className="version-description">{version.description}</p>}
      <dl className="facts">
        <Fact term="Run">
          {p.runId && (
            <Link to={runPath(p.runId)} className="mono">
              {p.runId}
            </Link>
          )}
        </Fact>
        <Fact term="Dataset">
          {p.datasetKey && (
            <>
              <Link to={datasetPath(p.datasetKey)} className="mono">
                {p.datasetKey}
              </Link>{" "}
              {p.datasetSha256 && <span className="muted small mono hash">sha256 {p.datasetSha256}</span>}
            </>
          )}
        </Fact>
        <Fact term="Template">
          {(p.template || p.templateSha256) && (
            <>
              <span className="mono">{p.template ?? "?"}</span>{" "}
              {p.templateSha256 && <span className="muted small mono hash">sha256 {p.templateSha256}</span>}
            </>
          )}
        </Fact>
        <Fact term="Base model">{p.baseModel && <span className="mono">{p.baseModel}</span>}</Fact>
        <Fact term="Method">{p.method}</Fact>
        <Fact term="Seed">{p.seed}</Fact>
        <Fact term="Checkpoint">{p.checkpointStep && <>step {p.checkpointStep}{steps !== null && <span className="muted"> of {steps}</span>}</>}</Fact>
        <Fact term="Weights sha256">
          <Hash value={p.paramsSha256} />
        </Fact>
        <Fact term="Archive sha256">
          <Hash value={version.sha256} />
        </Fact>
        <Fact term="Libraries">
          {p.versions.length > 0 && (
            <span className="mono small">{p.versions.map(([name, value]) => `${name} ${value}`).join(" · ")}</span>
          )}
        </Fact>
      </dl>
    </div>
  );
}

function Score({ version }: { version: ModelVersion }) {
  const score = versionScore(version);
  if (score === null) return <span className="muted" title="No evaluation by a real judge when it was promoted">—</span>;
  const text = formatShare(score.primaryScore);
  return (
    <>
      {score.evaluationId ? <Link to={evaluationPath(score.evaluationId)}>{text}</Link> : text}{" "}
      <span className="muted small">{score.judge}</span>
    </>
  );
}

/** What a row shows under it: where the version came from as recorded, or its lineage as a graph. */
type DetailView = "provenance" | "lineage";

type RowProps = {
  version: ModelVersion;
  aliases: readonly Alias[];
  protectedAliases: readonly string[];
  open: DetailView | null;
  onToggle: (view: DetailView) => void;
  onDownload: (event: MouseEvent, version: ModelVersion) => void;
  downloading: boolean;
};

function VersionRow({ version, aliases, protectedAliases, open, onToggle, onDownload, downloading }: RowProps) {
  const finalLoss = versionFinalLoss(version);
  const detailId = `version-${version.id}-detail`;
  // By name only: the row is the version they point at.
  const pointing = version.aliases.map((name) => ({ alias: name, protected: aliases.some((a) => a.alias === name && a.protected) }));
  return (
    <>
      <tr data-testid="models:version-row" data-version={version.version} data-version-id={version.id}>
        <td>
          <strong className="mono" data-testid="models:version-label">
            {version.version}
          </strong>
        </td>
        <td>
          <time dateTime={version.created_at}>{formatLocalTime(version.created_at)}</time>
        </td>
        <td data-testid="models:version-run">
          {version.source_run_id ? (
            <Link to={runPath(version.source_run_id)} className="mono" title={version.source_run_id}>
              {shortRunId(version.source_run_id)}
            </Link>
          ) : (
            <span className="muted" title="Its run was deleted">
              deleted
            </span>
          )}
        </td>
        <td data-testid="models:version-score">
          <Score version={version} />
        </td>
        <td className="num" data-testid="models:version-loss">
          {finalLoss === null ? <span className="muted">—</span> : formatLoss(finalLoss)}
        </td>
        <td data-testid="models:version-archive">
          <code title={version.sha256}>{shortSha(version.sha256)}</code>{" "}
          <span className="muted small" title={`${version.size_bytes.toLocaleString()} bytes`}>
            {formatBytes(version.size_bytes)}
          </span>
        </td>
        <td data-testid="models:version-aliases">
          <AliasChips aliases={pointing} />
        </td>
        <td>
          <a
            className="button-link"
            href={versionDownloadPath(version.id)}
            download
            onClick={(event) => onDownload(event, version)}
            aria-busy={downloading}
            aria-label={`Download ${version.model_name} ${version.version} as a tar`}
            data-testid="models:version-download"
          >
            {downloading ? "…" : "↓ .tar"}
          </a>
        </td>
        <td className="row-actions">
          <span className="version-toggles">
            <button
              type="button"
              className="link-button"
              aria-expanded={open === "provenance"}
              aria-controls={open === "provenance" ? detailId : undefined}
              onClick={() => onToggle("provenance")}
              data-testid="models:version-toggle"
            >
              {open === "provenance" ? "Hide provenance" : "Provenance"}
            </button>
            <button
              type="button"
              className="link-button"
              aria-expanded={open === "lineage"}
              aria-controls={open === "lineage" ? detailId : undefined}
              onClick={() => onToggle("lineage")}
              data-testid="models:version-lineage-toggle"
            >
              {open === "lineage" ? "Hide lineage" : "Lineage"}
            </button>
          </span>
        </td>
      </tr>
      {open && (
        <tr className="detail-row" id={detailId}>
          <td colSpan={COLUMNS}>
            {open === "provenance" ? (
              <VersionDetail version={version} />
            ) : (
              <div className="version-detail version-lineage">
                <VersionLineageGraph version={version} protectedAliases={protectedAliases} />
              </div>
            )}
          </td>
        </tr>
      )}
    </>
  );
}

type TableProps = { versions: ModelVersion[]; aliases: readonly Alias[]; protectedAliases: readonly string[] };

/** A model's versions, newest first: where each came from, how it scored, its archive and aliases; its provenance or lineage on demand. */
export function VersionTable({ versions, aliases, protectedAliases }: TableProps) {
  // One detail open at a time, under its row.
  const [opened, setOpened] = useState<{ id: string; view: DetailView } | null>(null);
  const download = useVersionDownload();
  const { mutate, variables } = download;
  const save = useCallback(
    (version: DownloadableVersion) => mutate(version, { onSuccess: ({ blob, filename }) => saveBlob(blob, filename) }),
    [mutate],
  );
  const retry = useCallback(() => {
    if (variables) save(variables);
  }, [save, variables]);
  useRetryAfterToken(download.error, retry);

  // The link is a real one (copyable), but a click fetches through the API client so
  // that the bearer token goes with it when auth is on.
  function onDownload(event: MouseEvent, version: ModelVersion) {
    event.preventDefault();
    save(version);
  }

  return (
    <>
      <div className="table-wrap">
        <table className="versions" data-testid="models:versions">
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Promoted</th>
              <th scope="col">Run</th>
              <th scope="col">Score</th>
              <th scope="col" className="num">
                Final loss
              </th>
              <th scope="col">Archive</th>
              <th scope="col">Aliases</th>
              <th scope="col">
                <span className="visually-hidden">Download</span>
              </th>
              <th scope="col">
                <span className="visually-hidden">Provenance and lineage</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {versions.map((version) => (
              <VersionRow
                key={version.id}
                version={version}
                aliases={aliases}
                protectedAliases={protectedAliases}
                open={opened?.id === version.id ? opened.view : null}
                onToggle={(view) =>
                  setOpened((current) => (current?.id === version.id && current.view === view ? null : { id: version.id, view }))
                }
                onDownload={onDownload}
                downloading={download.isPending && variables?.id === version.id}
              />
            ))}
          </tbody>
        </table>
      </div>
      {download.isError && <ErrorMessage error={download.error} title="Download failed" />}
    </>
  );
}
