import { useId } from "react";
import { Field } from "../../ui/Field";
import { useDebouncedCommit } from "../../ui/useDebouncedCommit";
import { useRunDatasets } from "./queries";
import { RUN_STATES, RUN_VIEWS, type RunListQuery, type RunView } from "./history";

const FILTER_ERROR_TEST_ID = "run:filter-error";
/** Typing in a text filter asks the server once it pauses this long (Enter: at once). */
export const FILTER_DEBOUNCE_MS = 300;

const VIEW_LABELS: Record<RunView, string> = { training: "Training runs", "dry-runs": "Dry runs", all: "All" };

export type FilterChange = Partial<Omit<RunListQuery, "offset">>;

/** Training runs, dry runs, or both. */
export function ViewSwitch({ view, onChange }: { view: RunView; onChange: (view: RunView) => void }) {
  return (
    <div className="tabs run-views" role="group" aria-label="Runs shown" data-testid="run:views">
      {RUN_VIEWS.map((option) => (
        <button
          key={option}
          type="button"
          className={option === view ? "tab active" : "tab"}
          aria-pressed={option === view}
          onClick={() => onChange(option)}
          data-testid={`run:view-${option}`}
        >
          {VIEW_LABELS[option]}
        </button>
      ))}
    </div>
  );
}

type TextFilterProps = {
  id: string;
  label: string;
  value: string | null;
  placeholder: string;
  testId: string;
  onCommit: (value: string | null) => void;
};

/**
 * A text filter that asks the server only once typing pauses. The URL holds the value:
 * a change from elsewhere (a tag chip, Clear filters, Back) replaces what is typed.
 */
function TextFilter({ id, label, value, placeholder, testId, onCommit }: TextFilterProps) {
  const { text, change, commit } = useDebouncedCommit(value, onCommit, FILTER_DEBOUNCE_MS);

  return (
    <Field id={id} label={label} errorTestId={FILTER_ERROR_TEST_ID}>
      <input
        id={id}
        type="search"
        autoComplete="off"
        spellCheck={false}
        placeholder={placeholder}
        value={text}
        onChange={(event) => change(event.target.value)}
        onKeyDown={(event) => {
          if (event.key === "Enter") commit(text);
        }}
        data-testid={testId}
      />
    </Field>
  );
}

/** Name search, tag, status and dataset; any change goes back to the first page. */
export function RunFilters({ query, onChange }: { query: RunListQuery; onChange: (change: FilterChange) => void }) {
  const datasets = useRunDatasets();
  const id = useId();
  const keys = (datasets.data?.data ?? []).map((d) => d.dataset_key);
  // A key from the URL that is not among the newest datasets stays choosable.
  if (query.datasetKey !== null && !keys.includes(query.datasetKey)) keys.unshift(query.datasetKey);

  return (
    <div className="form-grid run-filters" role="group" aria-label="Filters" data-testid="run:filters">
      <TextFilter
        id={`${id}-q`}
        label="Name"
        value={query.q}
        placeholder="Part of a name"
        testId="run:filter-q"
        onCommit={(q) => onChange({ q })}
      />
      <TextFilter
        id={`${id}-tag`}
        label="Tag"
        value={query.tag}
        placeholder="A tag"
        testId="run:filter-tag"
        onCommit={(tag) => onChange({ tag })}
      />
      <Field id={`${id}-status`} label="Status" errorTestId={FILTER_ERROR_TEST_ID}>
        <select
          id={`${id}-status`}
          value={query.status ?? ""}
          onChange={(event) => onChange({ status: RUN_STATES.find((s) => s === event.target.value) ?? null })}
          data-testid="run:filter-status"
        >
          <option value="">Any status</option>
          {RUN_STATES.map((status) => (
            <option key={status} value={status}>
              {status}
            </option>
          ))}
        </select>
      </Field>
      <Field id={`${id}-dataset`} label="Dataset" errorTestId={FILTER_ERROR_TEST_ID}>
        <select
          id={`${id}-dataset`}
          value={query.datasetKey ?? ""}
          onChange={(event) => onChange({ datasetKey: event.target.value || null })}
          data-testid="run:filter-dataset"
        >
          <option value="">Any dataset</option>
          {keys.map((key) => (
            <option key={key} value={key}>
              {key}
            </option>
          ))}
        </select>
      </Field>
    </div>
  );
}
