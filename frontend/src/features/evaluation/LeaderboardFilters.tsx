import { useId, useState } from "react";
import { Field } from "../../ui/Field";
import { useRunDatasets } from "../runs/queries";
import type { LeaderboardQuery } from "./leaderboard";
import { useJudges } from "./queries";

const FILTER_ERROR_TEST_ID = "leaderboard:filter-error";

/** A model id typed in, applied on Enter or when the field is left (not at every key). */
function ModelFilter({ id, value, onApply }: { id: string; value: string | null; onApply: (modelId: string | null) => void }) {
  const [text, setText] = useState(value ?? "");
  function apply() {
    const next = text.trim() || null;
    if (next !== value) onApply(next);
  }
  return (
    <input
      id={id}
      type="text"
      value={text}
      placeholder="Any model"
      onChange={(event) => setText(event.target.value)}
      onBlur={apply}
      onKeyDown={(event) => {
        if (event.key === "Enter") apply();
      }}
      data-testid="leaderboard:filter-model"
    />
  );
}

type FiltersProps = { query: LeaderboardQuery; onChange: (query: LeaderboardQuery) => void };

/** Dataset, model, judge and a range of days; any change goes back to the first page. */
export function LeaderboardFilters({ query, onChange }: FiltersProps) {
  const id = useId();
  const datasets = useRunDatasets();
  const judges = useJudges();
  const keys = (datasets.data?.data ?? []).map((d) => d.dataset_key);
  // A key from the URL that is not among the newest datasets stays choosable.
  if (query.datasetKey !== null && !keys.includes(query.datasetKey)) keys.unshift(query.datasetKey);
  const judgeNames = (judges.data ?? []).filter((judge) => !judge.mock).map((judge) => judge.name);
  // Mock judges never reach the leaderboard; a judge from the URL stays choosable.
  if (query.judge !== null && !judgeNames.includes(query.judge)) judgeNames.push(query.judge);

  function set(change: Partial<LeaderboardQuery>) {
    onChange({ ...query, ...change, offset: 0 });
  }

  return (
    <div className="form-grid leaderboard-filters" role="group" aria-label="Filters" data-testid="leaderboard:filters">
      <Field id={`${id}-dataset`} label="Dataset" errorTestId={FILTER_ERROR_TEST_ID}>
        <select
          id={`${id}-dataset`}
          value={query.datasetKey ?? ""}
          onChange={(event) => set({ datasetKey: event.target.value || null })}
          data-testid="leaderboard:filter-dataset"
        >
          <option value="">Any dataset</option>
          {keys.map((key) => (
            <option key={key} value={key}>
              {key}
            </option>
          ))}
        </select>
      </Field>
      <Field id={`${id}-model`} label="Model" errorTestId={FILTER_ERROR_TEST_ID}>
        <ModelFilter key={query.modelId ?? ""} id={`${id}-model`} value={query.modelId} onApply={(modelId) => set({ modelId })} />
      </Field>
      <Field id={`${id}-judge`} label="Judge" errorTestId={FILTER_ERROR_TEST_ID}>
        <select
          id={`${id}-judge`}
          value={query.judge ?? ""}
          onChange={(event) => set({ judge: event.target.value || null })}
          data-testid="leaderboard:filter-judge"
        >
          <option value="">Any judge</option>
          {judgeNames.map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </select>
      </Field>
      <Field id={`${id}-from`} label="From (day)" errorTestId={FILTER_ERROR_TEST_ID}>
        <input
          id={`${id}-from`}
          type="date"
          value={query.dateFrom ?? ""}
          max={query.dateTo ?? undefined}
          onChange={(event) => set({ dateFrom: event.target.value || null })}
          data-testid="leaderboard:filter-from"
        />
      </Field>
      <Field id={`${id}-to`} label="To (day, included)" errorTestId={FILTER_ERROR_TEST_ID}>
        <input
          id={`${id}-to`}
          type="date"
          value={query.dateTo ?? ""}
          min={query.dateFrom ?? undefined}
          onChange={(event) => set({ dateTo: event.target.value || null })}
          data-testid="leaderboard:filter-to"
        />
      </Field>
    </div>
  );
}
