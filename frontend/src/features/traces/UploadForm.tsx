import { useCallback, useId, useState, type FormEvent } from "react";
import { Link } from "react-router";
import { formatFieldPath, isApiError } from "../../api/errors";
import { ErrorMessage } from "../../ui/ErrorMessage";
import { useRetryAfterToken } from "../auth/hooks";
import { EXAMPLE_TRACE_JSON } from "./example";
import { useCreateTrace } from "./queries";

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
}

/** Paste one trace as JSON and store it (POST /api/traces). */
export function UploadForm() {
  const [text, setText] = useState("");
  const [jsonError, setJsonError] = useState<string | null>(null);
  const createTrace = useCreateTrace();
  const inputId = useId();
  const hintId = useId();

  const { mutate, variables } = createTrace;
  const retry = useCallback(() => mutate(variables), [mutate, variables]);
  useRetryAfterToken(createTrace.error, retry);

  function submit(event: FormEvent) {
    event.preventDefault();
    const parsed = parseJson(text);
    if (!parsed.ok) {
      createTrace.reset();
      setJsonError(parsed.message);
      return;
    }
    setJsonError(null);
    createTrace.mutate(parsed.value);
  }

  const error = createTrace.error;
  const fieldErrors = isApiError(error) ? error.fieldErrors : [];

  return (
    <form className="card upload" onSubmit={submit} aria-labelledby={`${inputId}-title`}>
      <h2 id={`${inputId}-title`}>Add a trace</h2>
      <label htmlFor={inputId}>Trace JSON</label>
      <p id={hintId} className="muted small">
        One trace: <code>trace_version</code>, <code>prompt</code>, <code>steps</code> (each <code>i</code>,{" "}
        <code>type</code>, <code>content</code>), <code>final_answer</code>, optional <code>meta</code>.
      </p>
      <textarea
        id={inputId}
        aria-describedby={hintId}
        rows={12}
        spellCheck={false}
        value={text}
        onChange={(event) => setText(event.target.value)}
        placeholder='{"trace_version": "1.0", "prompt": "…", "steps": [...], "final_answer": "…"}'
        aria-invalid={Boolean(jsonError) || fieldErrors.length > 0}
        data-testid="trace:json-input"
      />
      <div className="actions">
        <button
          type="button"
          onClick={() => {
            setText(EXAMPLE_TRACE_JSON);
            setJsonError(null);
          }}
          data-testid="trace:load-example"
        >
          Load example
        </button>
        <button type="submit" className="primary" disabled={createTrace.isPending || !text.trim()} data-testid="trace:submit">
          {createTrace.isPending ? "Submitting…" : "Submit"}
        </button>
      </div>

      {jsonError && (
        <div className="error" role="alert" data-testid="trace:json-error">
          <strong>Invalid JSON</strong> — {jsonError}
        </div>
      )}
      {fieldErrors.length > 0 ? (
        <div className="error" role="alert">
          <strong>The server refused this trace</strong> ({fieldErrors.length} field error
          {fieldErrors.length === 1 ? "" : "s"}):
          <ul className="field-errors">
            {fieldErrors.map((item, index) => (
              <li key={index} data-testid="trace:field-error">
                <code>{formatFieldPath(item.loc)}</code>: {item.msg}
              </li>
            ))}
          </ul>
        </div>
      ) : (
        error && <ErrorMessage error={error} title="Not stored" />
      )}
      {createTrace.data && (
        <p className="success" role="status">
          Stored trace{" "}
          <Link to={`/traces/${createTrace.data.id}`} data-testid="trace:created-id">
            {createTrace.data.id}
          </Link>
        </p>
      )}
    </form>
  );
}
