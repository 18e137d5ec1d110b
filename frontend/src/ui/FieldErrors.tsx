import { formatFieldPath, isApiError, type FieldError } from "../api/errors";
import { ErrorMessage } from "./ErrorMessage";

/** Where in the request body a 422 points: `["body", "filters", "source"]` -> `filters.source`. */
export function bodyPath(item: FieldError): string | null {
  const [root, ...rest] = item.loc;
  return root === "body" && rest.length > 0 ? rest.map(String).join(".") : null;
}

export type PlacedErrors = {
  /** The field errors of one input (by body path). */
  at: (path: string) => FieldError[];
  /** Field errors no input of the form stands for. */
  unplaced: FieldError[];
  total: number;
};

/** Splits a 422's field errors between a form's inputs, named by their body paths. */
export function placeFieldErrors(error: unknown, paths: readonly string[]): PlacedErrors {
  const items = isApiError(error) ? error.fieldErrors : [];
  const known = new Set(paths);
  return {
    at: (path) => items.filter((item) => bodyPath(item) === path),
    unplaced: items.filter((item) => !known.has(bodyPath(item) ?? "")),
    total: items.length,
  };
}

/** The server's messages under one input. */
export function FieldMessages({ id, errors, testId }: { id: string; errors: FieldError[]; testId: string }) {
  if (errors.length === 0) return null;
  return (
    <ul id={id} className="field-messages">
      {errors.map((item, index) => (
        <li key={index} data-testid={testId} data-field={bodyPath(item) ?? undefined}>
          {item.msg}
        </li>
      ))}
    </ul>
  );
}

/**
 * A form's failure: for a 422, how many fields were refused (each shown at its input)
 * and the errors no input stands for; any other error as `{error, detail}`.
 */
export function FormErrorSummary({
  error,
  placed,
  title,
  testId,
}: {
  error: unknown;
  placed: PlacedErrors;
  title: string;
  testId: string;
}) {
  if (!error) return null;
  if (placed.total === 0) return <ErrorMessage error={error} title={title} />;
  return (
    <div className="error" role="alert" data-testid="sys:error">
      <strong>{title}</strong>: {placed.total} field error{placed.total === 1 ? "" : "s"}
      {placed.unplaced.length < placed.total && ", shown at the fields"}.
      {placed.unplaced.length > 0 && (
        <ul className="field-errors">
          {placed.unplaced.map((item, index) => (
            <li key={index} data-testid={testId}>
              <code>{formatFieldPath(item.loc)}</code>: {item.msg}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
