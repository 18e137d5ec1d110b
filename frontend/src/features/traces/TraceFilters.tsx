import { useId } from "react";
import { Field } from "../../ui/Field";
import { useDebouncedCommit } from "../../ui/useDebouncedCommit";
import { hasFilters, type TraceListQuery } from "./listQuery";
import { useTraceSources } from "./queries";

/** Typing in the search asks the server once it pauses this long (Enter: at once). */
export const SEARCH_DEBOUNCE_MS = 300;
const FILTER_ERROR_TEST_ID = "trace:filter-error";

export type TraceFilterChange = Partial<Omit<TraceListQuery, "offset">>;

type SearchProps = { id: string; value: string | null; onCommit: (value: string | null) => void };

/**
 * The prompt search, sent once typing pauses. The URL holds the value: a change from
 * elsewhere (Clear filters, Back) replaces what is typed.
 */
function PromptSearch({ id, value, onCommit }: SearchProps) {
  const { text, change, commit } = useDebouncedCommit(value, onCommit, SEARCH_DEBOUNCE_MS);

  return (
    <Field id={id} label="Search prompts" errorTestId={FILTER_ERROR_TEST_ID} wide>
      <input
        id={id}
        type="search"
        autoComplete="off"
        spellCheck={false}
        maxLength={200}
        placeholder="Part of a prompt, any case"
        value={text}
        onChange={(event) => change(event.target.value)}
        onKeyDown={(event) => {
          if (event.key === "Enter") commit(text);
        }}
        data-testid="trace:search"
      />
    </Field>
  );
}

type FiltersProps = { query: TraceListQuery; onChange: (change: TraceFilterChange) => void };

/** Prompt search, source, scored or not, and a range of days; a change goes back to page 1. */
export function TraceFilters({ query, onChange }: FiltersProps) {
  const id = useId();
  const sources = useTraceSources();
  const known = sources.data?.sources ?? [];
  // A source from the URL that is not (or not yet) listed stays choosable.
  const options = query.source !== null && !known.includes(query.source) ? [query.source, ...known] : known;
  const scored = query.scored === null ? "" : String(query.scored);

  return (
    <div className="trace-filters" role="group" aria-label="Filters" data-testid="trace:filters">
      <PromptSearch id={`${id}-q`} value={query.q} onCommit={(q) => onChange({ q })} />
      <Field id={`${id}-source`} label="Source" errorTestId={FILTER_ERROR_TEST_ID}>
        <select
          id={`${id}-source`}
          value={query.source ?? ""}
          onChange={(event) => onChange({ source: event.target.value || null })}
          data-testid="trace:filter-source"
        >
          <option value="">Any source</option>
          {options.map((source) => (
            <option key={source} value={source}>
              {source}
            </option>
          ))}
        </select>
      </Field>
      <Field id={`${id}-scored`} label="Score" errorTestId={FILTER_ERROR_TEST_ID}>
        <select
          id={`${id}-scored`}
          value={scored}
          onChange={(event) => onChange({ scored: event.target.value === "" ? null : event.target.value === "true" })}
          data-testid="trace:filter-scored"
        >
          <option value="">Scored or not</option>
          <option value="true">Scored</option>
          <option value="false">Not scored</option>
        </select>
      </Field>
      <Field id={`${id}-from`} label="From" errorTestId={FILTER_ERROR_TEST_ID}>
        <input
          id={`${id}-from`}
          type="date"
          value={query.from ?? ""}
          max={query.to ?? undefined}
          onChange={(event) => onChange({ from: event.target.value || null })}
          data-testid="trace:filter-from"
        />
      </Field>
      <Field id={`${id}-to`} label="To (included)" errorTestId={FILTER_ERROR_TEST_ID}>
        <input
          id={`${id}-to`}
          type="date"
          value={query.to ?? ""}
          min={query.from ?? undefined}
          onChange={(event) => onChange({ to: event.target.value || null })}
          data-testid="trace:filter-to"
        />
      </Field>
      <div className="trace-filters-end">
        <button
          type="button"
          className="link-button"
          disabled={!hasFilters(query)}
          onClick={() => onChange({ q: null, source: null, scored: null, from: null, to: null })}
          data-testid="trace:clear-filters"
        >
          Clear filters
        </button>
      </div>
    </div>
  );
}
