import { useCallback, useState, type MouseEvent } from "react";
import { ErrorMessage } from "../../ui/ErrorMessage";
import { saveBlob } from "../../ui/saveBlob";
import { useRetryAfterToken } from "../auth/hooks";
import { formatLocalTime } from "../traces/payload";
import { artifactDownloadPath, artifactRows, formatBytes, type ArtifactRow } from "./artifacts";
import { useArtifactDownload, useRunArtifacts } from "./queries";

const SHA_SHOWN = 12;
const COPIED_FOR_MS = 1_500;

function CopySha({ sha256 }: { sha256: string }) {
  const [copied, setCopied] = useState(false);
  async function copy() {
    try {
      await navigator.clipboard.writeText(sha256);
      setCopied(true);
      window.setTimeout(() => setCopied(false), COPIED_FOR_MS);
    } catch {
      // No clipboard (an insecure origin): the full hash is in the title to select by hand.
    }
  }
  return (
    <span className="sha">
      <code title={sha256} data-testid="run:artifact-sha">
        {sha256.slice(0, SHA_SHOWN)}
      </code>
      <button type="button" className="link-button" onClick={() => void copy()} aria-label={`Copy sha256 ${sha256}`} data-testid="run:artifact-copy">
        {copied ? "copied" : "copy"}
      </button>
    </span>
  );
}

type DownloadRequest = { name: string; directory: boolean };

/** The run's files: checkpoints (each a directory, downloaded as a tar), config, logs. */
export function ArtifactList({ runId, live }: { runId: string; live: boolean }) {
  const artifacts = useRunArtifacts(runId);
  const download = useArtifactDownload(runId);

  const { mutate, variables } = download;
  const save = useCallback(
    (request: DownloadRequest) => mutate(request, { onSuccess: ({ blob, filename }) => saveBlob(blob, filename) }),
    [mutate],
  );
  const retry = useCallback(() => {
    if (variables) save(variables);
  }, [save, variables]);
  useRetryAfterToken(download.error, retry);

  // The link is a real one (copyable), but a click fetches through the API client so
  // that the bearer token goes with it when auth is on.
  function onDownload(event: MouseEvent, row: ArtifactRow) {
    event.preventDefault();
    save({ name: row.name, directory: row.directory });
  }

  const rows = artifacts.data ? artifactRows(artifacts.data) : [];
  const busy = (row: ArtifactRow) => download.isPending && variables?.name === row.name;

  return (
    <section className="card" aria-labelledby="run-artifacts-title" data-testid="run:artifacts">
      <div className="card-header">
        <h2 id="run-artifacts-title">Artifacts</h2>
        {artifacts.data && (
          <span className="muted small">
            {artifacts.data.length.toLocaleString()} file{artifacts.data.length === 1 ? "" : "s"}
          </span>
        )}
      </div>
      {artifacts.isError && <ErrorMessage error={artifacts.error} title="Could not list the artifacts" />}
      {artifacts.isPending && <p className="muted">Loading artifacts…</p>}
      {artifacts.data && rows.length === 0 && (
        <p className="muted" data-testid="run:artifacts-empty">
          {live ? "No files yet: checkpoints appear here as they are saved." : "This run left no files."}
        </p>
      )}
      {rows.length > 0 && (
        <div className="table-wrap">
          <table className="artifacts" data-testid="run:artifact-list">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Kind</th>
                <th scope="col" className="num">
                  Size
                </th>
                <th scope="col">sha256</th>
                <th scope="col">Modified</th>
                <th scope="col">
                  <span className="visually-hidden">Download</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.name} data-testid="run:artifact" data-name={row.name} data-kind={row.kind}>
                  <td className="mono artifact-name">
                    {row.name}
                    {row.directory && <span className="muted"> ({row.files} files)</span>}
                  </td>
                  <td>
                    <span className={`kind kind-${row.kind}`}>{row.kind}</span>
                  </td>
                  <td className="num" title={`${row.size.toLocaleString()} bytes`}>
                    {formatBytes(row.size)}
                  </td>
                  <td>
                    {row.sha256 ? (
                      <CopySha sha256={row.sha256} />
                    ) : row.directory ? (
                      <span className="muted">— (tar)</span>
                    ) : (
                      <span className="muted" data-testid="run:artifact-hashing" title="A large file: the server is hashing it">
                        computing…
                      </span>
                    )}
                  </td>
                  <td>
                    <time dateTime={row.modifiedAt}>{formatLocalTime(row.modifiedAt)}</time>
                  </td>
                  <td>
                    <a
                      className="button-link"
                      href={artifactDownloadPath(runId, row.name)}
                      download
                      onClick={(event) => onDownload(event, row)}
                      aria-busy={busy(row)}
                      aria-label={`Download ${row.name}${row.directory ? " as a tar" : ""}`}
                      data-testid="run:artifact-download"
                    >
                      {busy(row) ? "…" : row.directory ? "↓ .tar" : "↓"}
                    </a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {download.isError && <ErrorMessage error={download.error} title="Download failed" />}
    </section>
  );
}
