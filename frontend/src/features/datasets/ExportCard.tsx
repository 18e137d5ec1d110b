import { useCallback, type MouseEvent } from "react";
import { ErrorMessage } from "../../ui/ErrorMessage";
import { saveBlob } from "../../ui/saveBlob";
import { useRetryAfterToken } from "../auth/hooks";
import {
  EXPORT_FORMATS,
  EXPORT_SPLITS,
  useExportDownload,
  type DatasetManifest,
  type ExportFormat,
  type ExportSplit,
} from "./queries";

const FORMAT_NOTES: Record<ExportFormat, string> = {
  trace: "stored traces with id and split (all: hashes to the content sha256)",
  tunix_sft: "Gemma chat prompt and completion, the training input",
  training_example: "plain prompt and response, with metadata",
};

function exportHref(key: string, format: ExportFormat, split: ExportSplit): string {
  const query = new URLSearchParams({ format, split });
  return `/api/datasets/${encodeURIComponent(key)}/export.jsonl?${query.toString()}`;
}

/** NDJSON downloads, one per format and split. */
export function ExportCard({ manifest }: { manifest: DatasetManifest }) {
  const key = manifest.dataset_key;
  const exporting = useExportDownload(key);
  const counts: Record<ExportSplit, number> = {
    all: manifest.trace_count,
    train: manifest.split.train,
    eval: manifest.split.eval,
  };

  const { mutate, variables } = exporting;
  const save = useCallback(
    (request: { format: ExportFormat; split: ExportSplit }) =>
      mutate(request, { onSuccess: ({ blob, filename }) => saveBlob(blob, filename) }),
    [mutate],
  );
  const retry = useCallback(() => {
    if (variables) save(variables);
  }, [save, variables]);
  useRetryAfterToken(exporting.error, retry);

  // The link is a real one (copyable), but a click fetches through the API client so
  // that the bearer token goes with it when auth is on.
  function download(event: MouseEvent, format: ExportFormat, split: ExportSplit) {
    event.preventDefault();
    save({ format, split });
  }

  const busy = (format: ExportFormat, split: ExportSplit) =>
    exporting.isPending && variables?.format === format && variables.split === split;

  return (
    <section className="card" aria-labelledby="dataset-export-title">
      <h2 id="dataset-export-title">Export (NDJSON)</h2>
      <table className="exports" data-testid="dataset:exports">
        <thead>
          <tr>
            <th scope="col">Format</th>
            {EXPORT_SPLITS.map((split) => (
              <th key={split} scope="col">
                {split}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {EXPORT_FORMATS.map((format) => (
            <tr key={format}>
              <th scope="row">
                <code>{format}</code>
                <span className="hint">{FORMAT_NOTES[format]}</span>
              </th>
              {EXPORT_SPLITS.map((split) => (
                <td key={split}>
                  <a
                    className="button-link"
                    href={exportHref(key, format, split)}
                    download={`${key}.${format}.${split}.jsonl`}
                    onClick={(event) => download(event, format, split)}
                    aria-busy={busy(format, split)}
                    aria-label={`Download ${format}, ${split} (${counts[split]} lines)`}
                    data-testid={`dataset:export-${format}-${split}`}
                  >
                    {busy(format, split) ? "…" : `↓ ${counts[split].toLocaleString()}`}
                  </a>
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {exporting.isError && <ErrorMessage error={exporting.error} title="Export failed" />}
    </section>
  );
}
