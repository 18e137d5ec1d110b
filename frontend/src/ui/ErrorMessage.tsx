import { formatFieldPath, isApiError } from "../api/errors";

/** Shows any failure; API errors as their `error` name and `detail` from the server. */
export function ErrorMessage({ error, title }: { error: unknown; title?: string }) {
  if (!isApiError(error)) {
    const message = error instanceof Error ? error.message : String(error);
    return (
      <div className="error" role="alert" data-testid="sys:error">
        {title && <strong>{title}: </strong>}
        {message}
      </div>
    );
  }
  return (
    <div className="error" role="alert" data-testid="sys:error">
      {title && <strong>{title}: </strong>}
      <strong>{error.error}</strong>
      {error.status > 0 && <span className="muted"> (HTTP {error.status})</span>}
      {typeof error.detail === "string" ? (
        <span> — {error.detail}</span>
      ) : (
        <ul className="field-errors">
          {error.detail.map((item, index) => (
            <li key={index}>
              <code>{formatFieldPath(item.loc)}</code>: {item.msg}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
