import { useId, useState, type ChangeEvent } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { batchErrors, batchesOf, parseTraceFile, type ParsedFile } from "./traceFiles";
import { invalidateStored, useCreateTraceBatch } from "./queries";

/** What importing one file did: traces stored, and why the rest were not. */
type FileResult = { stored: number; errors: string[] };

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count.toLocaleString()} ${count === 1 ? one : many}`;
}

async function readFiles(list: FileList | null): Promise<ParsedFile[]> {
  const files = Array.from(list ?? []);
  return Promise.all(files.map(async (file) => parseTraceFile(file.name, await file.text())));
}

function FileLine({ file, result }: { file: ParsedFile; result: FileResult | undefined }) {
  const errors = result ? result.errors : file.problems;
  let summary: string;
  if (result) {
    summary =
      result.stored === file.traces.length
        ? `${plural(result.stored, "trace")} stored`
        : `${plural(result.stored, "trace")} of ${file.traces.length.toLocaleString()} stored`;
  } else if (file.problems.length > 0) {
    summary = `${plural(file.problems.length, "problem")}: this file will not be sent until it is fixed`;
  } else {
    summary = `${plural(file.traces.length, "trace")} to import`;
  }
  const bad = errors.length > 0;
  return (
    <li data-testid="trace:import-file">
      <span className="mono">{file.name}</span> — <span className={bad ? "import-bad" : undefined}>{summary}</span>
      {bad && (
        <ul className="field-errors import-errors" data-testid="trace:import-errors">
          {errors.map((message, index) => (
            <li key={index}>{message}</li>
          ))}
        </ul>
      )}
    </li>
  );
}

/**
 * Import trace files, many at once: JSON (a trace or a list) or JSONL (a trace a line).
 * Each file goes in batches of POST /api/traces/batch; a file with a line that cannot
 * be read is not sent, so no file is half stored for a typo.
 */
export function TraceImport() {
  const inputId = useId();
  const [files, setFiles] = useState<ParsedFile[]>([]);
  const [results, setResults] = useState<Map<ParsedFile, FileResult>>(new Map());
  const [busy, setBusy] = useState(false);
  const batch = useCreateTraceBatch();
  const queryClient = useQueryClient();

  const ready = files.filter((file) => file.problems.length === 0 && file.traces.length > 0);
  const total = ready.reduce((sum, file) => sum + file.traces.length, 0);
  const imported = results.size > 0;

  async function choose(event: ChangeEvent<HTMLInputElement>) {
    const input = event.target;
    setResults(new Map());
    setFiles(await readFiles(input.files));
    input.value = ""; // choosing the same files again (fixed) reads them again
  }

  async function importFile(file: ParsedFile): Promise<FileResult> {
    let stored = 0;
    for (const traces of batchesOf(file.traces)) {
      try {
        await batch.mutateAsync(traces.map((item) => item.trace));
        stored += traces.length;
      } catch (error) {
        // The batch stored nothing; later ones are not sent (the file stops where it failed).
        return { stored, errors: batchErrors(error, traces) };
      }
    }
    return { stored, errors: [] };
  }

  async function importAll() {
    setBusy(true);
    const done = new Map<ParsedFile, FileResult>();
    try {
      for (const file of ready) {
        done.set(file, await importFile(file));
        setResults(new Map(done));
      }
    } finally {
      setBusy(false);
      await invalidateStored(queryClient);
    }
  }

  const storedTotal = [...results.values()].reduce((sum, r) => sum + r.stored, 0);

  return (
    <section className="card" aria-labelledby={`${inputId}-title`}>
      <h2 id={`${inputId}-title`}>Import trace files</h2>
      <label htmlFor={inputId}>Trace files</label>
      <p id={`${inputId}-hint`} className="muted small">
        <code>.json</code>: one trace or a list of traces. <code>.jsonl</code>: one trace a line. Choose several at once.
      </p>
      <input
        id={inputId}
        type="file"
        multiple
        accept=".json,.jsonl,.ndjson,application/json,application/x-ndjson"
        aria-describedby={`${inputId}-hint`}
        onChange={(event) => void choose(event)}
        disabled={busy}
        data-testid="trace:file-input"
      />
      {files.length > 0 && (
        <ul className="import-files" aria-live="polite">
          {files.map((file, index) => (
            <FileLine key={`${index}-${file.name}`} file={file} result={results.get(file)} />
          ))}
        </ul>
      )}
      {files.length > 0 && (
        <div className="actions">
          <button
            type="button"
            className="primary"
            disabled={busy || total === 0 || imported}
            onClick={() => void importAll()}
            data-testid="trace:import-button"
          >
            {busy ? "Importing…" : `Import ${plural(total, "trace")}${ready.length > 1 ? ` from ${ready.length} files` : ""}`}
          </button>
          {imported && !busy && (
            <span role="status" className="muted" data-testid="trace:import-summary">
              {plural(storedTotal, "trace")} stored.
            </span>
          )}
        </div>
      )}
    </section>
  );
}
