import { useId } from "react";
import type { FieldError } from "../../api/errors";
import { FieldMessages } from "../../ui/FieldErrors";
import {
  nextFreeKey,
  rowProblems,
  TUNABLE_KEYS,
  TUNABLE_SETTINGS,
  TYPE_LABELS,
  typesOf,
  withKey,
  type RowProblems,
  type SpaceRow,
  type TunableKey,
} from "./tuning";

export const SPACE_ERROR_TEST_ID = "tuning:field-error";

type SearchSpaceEditorProps = {
  rows: SpaceRow[];
  onChange: (rows: SpaceRow[]) => void;
  onAdd: () => void;
  /** The server's errors of one row (by its setting), and of the space as a whole. */
  rowErrors: (key: TunableKey) => FieldError[];
  spaceErrors: FieldError[];
  disabled?: boolean;
};

/** A client-side problem as a field message, shown like the server's. */
export function asFieldError(path: string, msg: string): FieldError {
  return { loc: ["body", ...path.split(".")], msg, type: "client" };
}

function problemMessages(key: TunableKey, problems: RowProblems): FieldError[] {
  const labels: Record<keyof RowProblems, string> = { key: "", values: "Values: ", min: "Min: ", max: "Max: " };
  return (Object.entries(problems) as [keyof RowProblems, string | undefined][])
    .filter(([, message]) => message)
    .map(([input, message]) => asFieldError(`search_space.${key}`, `${labels[input]}${message}`));
}

function Row({
  row,
  rows,
  onRow,
  onRemove,
  serverErrors,
  disabled,
}: {
  row: SpaceRow;
  rows: SpaceRow[];
  onRow: (row: SpaceRow) => void;
  onRemove: () => void;
  serverErrors: FieldError[];
  disabled: boolean;
}) {
  const id = useId();
  const problems = rowProblems(row, rows);
  const messages = [...problemMessages(row.key, problems), ...serverErrors];
  const invalid = (input: keyof RowProblems) => (problems[input] || (input !== "key" && serverErrors.length > 0) ? true : undefined);
  const describedBy = messages.length > 0 ? `${id}-errors` : undefined;
  const spec = TUNABLE_SETTINGS[row.key];
  const used = new Set(rows.filter((other) => other.id !== row.id).map((other) => other.key));
  const valuesHint =
    "words" in spec ? `One or more of ${spec.words.join(", ")}` : spec.kind === "int" ? "Whole numbers, e.g. 4, 8, 16" : "Numbers, e.g. 0.001, 0.005";

  return (
    <li className="space-row" data-testid="tuning:space-row" data-key={row.key} data-invalid={messages.length > 0 || undefined}>
      <div className="space-inputs">
        <div className="field">
          <label htmlFor={`${id}-key`}>
            Setting
          </label>
          <select
            id={`${id}-key`}
            value={row.key}
            onChange={(event) => onRow(withKey(row, event.target.value as TunableKey))}
            aria-invalid={invalid("key")}
            aria-describedby={describedBy}
            disabled={disabled}
            data-testid="tuning:space-key"
          >
            {TUNABLE_KEYS.map((key) => (
              <option key={key} value={key} disabled={used.has(key)}>
                {key}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${id}-type`}>
            Type
          </label>
          <select
            id={`${id}-type`}
            value={row.type}
            onChange={(event) => onRow({ ...row, type: event.target.value as SpaceRow["type"] })}
            disabled={disabled || typesOf(row.key).length === 1}
            aria-describedby={describedBy}
            data-testid="tuning:space-type"
          >
            {typesOf(row.key).map((type) => (
              <option key={type} value={type}>
                {TYPE_LABELS[type]}
              </option>
            ))}
          </select>
        </div>
        {row.type === "choice" ? (
          <div className="field space-values">
            <label htmlFor={`${id}-values`}>
              Values <span className="muted small">(comma-separated)</span>
            </label>
            <input
              type="text"
              id={`${id}-values`}
              autoComplete="off"
              spellCheck={false}
              value={row.values}
              placeholder={valuesHint}
              title={valuesHint}
              onChange={(event) => onRow({ ...row, values: event.target.value })}
              aria-invalid={invalid("values")}
              aria-describedby={describedBy}
              disabled={disabled}
              data-testid="tuning:space-values"
            />
          </div>
        ) : (
          <div className="space-range">
            <div className="field">
              <label htmlFor={`${id}-min`}>
                Min
              </label>
              <input
                type="text"
                inputMode="decimal"
                id={`${id}-min`}
                autoComplete="off"
                value={row.min}
                onChange={(event) => onRow({ ...row, min: event.target.value })}
                aria-invalid={invalid("min")}
                aria-describedby={describedBy}
                disabled={disabled}
                data-testid="tuning:space-min"
              />
            </div>
            <div className="field">
              <label htmlFor={`${id}-max`}>
                Max{row.type === "randint" ? " (included)" : ""}
              </label>
              <input
                type="text"
                inputMode="decimal"
                id={`${id}-max`}
                autoComplete="off"
                value={row.max}
                onChange={(event) => onRow({ ...row, max: event.target.value })}
                aria-invalid={invalid("max")}
                aria-describedby={describedBy}
                disabled={disabled}
                data-testid="tuning:space-max"
              />
            </div>
          </div>
        )}
        <button
          type="button"
          className="space-remove"
          onClick={onRemove}
          disabled={disabled}
          aria-label={`Remove ${row.key}`}
          title={`Remove ${row.key}`}
          data-testid="tuning:space-remove"
        >
          ✕
        </button>
      </div>
      <FieldMessages id={`${id}-errors`} errors={messages} testId={SPACE_ERROR_TEST_ID} />
    </li>
  );
}

/**
 * The study's search space: a row a setting, limited to the settings a study may vary,
 * each with the types of parameter that setting takes: a choice of values, or a range.
 * Each row says at once what the server would refuse in it; the server's own messages
 * about a setting are shown at its row.
 */
export function SearchSpaceEditor({ rows, onChange, onAdd, rowErrors, spaceErrors, disabled = false }: SearchSpaceEditorProps) {
  const id = useId();
  const free = nextFreeKey(rows);
  const editorErrors = rows.length === 0 ? [asFieldError("search_space", "Vary at least one setting."), ...spaceErrors] : spaceErrors;
  return (
    <fieldset className="search-space" data-testid="tuning:space" aria-describedby={`${id}-hint`}>
      <legend>Search space</legend>
      <p className="hint" id={`${id}-hint`}>
        What each trial draws from. A range draws uniformly, or log-uniformly (for a learning rate); whole-number ranges
        include both ends. The settings varied here are left out of the fixed ones below.
      </p>
      <ul className="space-rows">
        {rows.map((row) => (
          <Row
            key={row.id}
            row={row}
            rows={rows}
            onRow={(next) => onChange(rows.map((other) => (other.id === row.id ? next : other)))}
            onRemove={() => onChange(rows.filter((other) => other.id !== row.id))}
            serverErrors={rowErrors(row.key)}
            disabled={disabled}
          />
        ))}
      </ul>
      <FieldMessages id={`${id}-errors`} errors={editorErrors} testId={SPACE_ERROR_TEST_ID} />
      <div className="actions">
        <button type="button" onClick={onAdd} disabled={disabled || free === null} data-testid="tuning:space-add">
          + Add a setting
        </button>
        {free === null && <span className="muted small">Every setting is varied.</span>}
      </div>
    </fieldset>
  );
}
