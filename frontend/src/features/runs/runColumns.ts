// The run history's columns: which of them show (the reader's choice, kept in
// localStorage), how their figures are written, and their order within a loaded page.

import { useState } from "react";
import type { RunSummary } from "./queries";
import { formatLoss, formatPercent } from "./runOutput";

export type RunColumnId =
  | "dataset"
  | "model"
  | "learningRate"
  | "steps"
  | "finalLoss"
  | "evalLoss"
  | "exactMatch"
  | "attempt"
  | "started"
  | "duration";

export type RunSortKey = "learningRate" | "steps" | "finalLoss" | "evalLoss" | "exactMatch";

type ColumnSpec = {
  id: RunColumnId;
  label: string;
  numeric: boolean;
  /** Shown on a phone too; the others only where there is room (see styles.css). */
  narrow: boolean;
};

/** Every optional column, in table order (run, status and the compare box always show). */
export const RUN_COLUMNS: readonly ColumnSpec[] = [
  { id: "dataset", label: "Dataset", numeric: false, narrow: false },
  { id: "model", label: "Model", numeric: false, narrow: false },
  { id: "learningRate", label: "Learning rate", numeric: true, narrow: false },
  { id: "steps", label: "Steps", numeric: true, narrow: false },
  { id: "finalLoss", label: "Final loss", numeric: true, narrow: true },
  { id: "evalLoss", label: "Eval loss", numeric: true, narrow: false },
  { id: "exactMatch", label: "Exact match", numeric: true, narrow: false },
  { id: "attempt", label: "Attempt", numeric: true, narrow: false },
  { id: "started", label: "Started", numeric: false, narrow: false },
  { id: "duration", label: "Duration", numeric: true, narrow: false },
];

export const DEFAULT_COLUMNS: readonly RunColumnId[] = [
  "dataset",
  "model",
  "learningRate",
  "steps",
  "finalLoss",
  "evalLoss",
  "exactMatch",
  "started",
  "duration",
];

export const COLUMN_STORAGE_KEY = "tunix-rt.run-columns";

const COLUMN_IDS = new Set<string>(RUN_COLUMNS.map((column) => column.id));

/** The columns saved by this browser, or the defaults (storage off, nothing saved, or unreadable). */
export function readColumns(): RunColumnId[] {
  try {
    const saved: unknown = JSON.parse(window.localStorage.getItem(COLUMN_STORAGE_KEY) ?? "null");
    if (Array.isArray(saved)) return saved.filter((id): id is RunColumnId => typeof id === "string" && COLUMN_IDS.has(id));
  } catch {
    // Storage can be disabled (privacy modes) or hold something else: the defaults then.
  }
  return [...DEFAULT_COLUMNS];
}

function saveColumns(columns: readonly RunColumnId[]): void {
  try {
    window.localStorage.setItem(COLUMN_STORAGE_KEY, JSON.stringify(columns));
  } catch {
    // Not remembered: the choice holds until the page is left.
  }
}

/** The shown columns, in table order, and a toggle that remembers the choice. */
export function useRunColumns(): { shown: readonly RunColumnId[]; toggle: (id: RunColumnId) => void } {
  const [chosen, setChosen] = useState<RunColumnId[]>(readColumns);
  const shown = RUN_COLUMNS.map((column) => column.id).filter((id) => chosen.includes(id));
  function toggle(id: RunColumnId) {
    const next = chosen.includes(id) ? chosen.filter((c) => c !== id) : [...chosen, id];
    saveColumns(next);
    setChosen(next);
  }
  return { shown, toggle };
}

export const SORT_COLUMNS: Record<RunColumnId, RunSortKey | null> = {
  dataset: null,
  model: null,
  learningRate: "learningRate",
  steps: "steps",
  finalLoss: "finalLoss",
  evalLoss: "evalLoss",
  exactMatch: "exactMatch",
  attempt: null,
  started: null,
  duration: null,
};

export type RunSort = { key: RunSortKey; descending: boolean };

// The first click puts the best first: the lowest losses, the highest match, the most steps.
const BEST_FIRST_DESCENDING: Record<RunSortKey, boolean> = {
  learningRate: false,
  steps: true,
  finalLoss: false,
  evalLoss: false,
  exactMatch: true,
};

/** A header's click: best first, then the reverse, then the server's order (newest first). */
export function nextSort(current: RunSort | null, key: RunSortKey): RunSort | null {
  const first = BEST_FIRST_DESCENDING[key];
  if (current?.key !== key) return { key, descending: first };
  return current.descending === first ? { key, descending: !first } : null;
}

function sortValue(run: RunSummary, key: RunSortKey): number | null {
  switch (key) {
    case "learningRate":
      return run.learning_rate;
    case "steps":
      return stepsOf(run);
    case "finalLoss":
      return run.final_loss;
    case "evalLoss":
      return run.eval_loss;
    case "exactMatch":
      return run.exact_match;
  }
}

/** The loaded runs in `sort`'s order; runs without the figure last, each group newest first. */
export function sortRuns(runs: readonly RunSummary[], sort: RunSort | null): RunSummary[] {
  if (sort === null) return [...runs];
  const sign = sort.descending ? -1 : 1;
  return runs
    .map((run, index) => ({ run, index, value: sortValue(run, sort.key) }))
    .sort((a, b) => {
      if (a.value === null || b.value === null) return (a.value === null ? 1 : 0) - (b.value === null ? 1 : 0) || a.index - b.index;
      return sign * (a.value - b.value) || a.index - b.index;
    })
    .map(({ run }) => run);
}

export function formatLearningRate(value: number): string {
  return Number(value.toPrecision(3)).toString();
}

/** Steps trained: the summary's once the run ended, the latest step while it trains. */
function stepsOf(run: Pick<RunSummary, "steps"> & Partial<Pick<RunSummary, "progress">>): number | null {
  return run.steps ?? run.progress?.step ?? null;
}

/** "20 / 300": steps trained (so far) of the configured most; either may not be known. */
export function stepsText(run: Pick<RunSummary, "steps" | "max_steps"> & Partial<Pick<RunSummary, "progress">>): string | null {
  const steps = stepsOf(run);
  if (steps === null && run.max_steps === null) return null;
  if (run.max_steps === null) return String(steps);
  return `${steps ?? "—"} / ${run.max_steps}`;
}

/** A figure of the row, as text; null when it is not known (yet). */
export function figureText(run: RunSummary, id: "learningRate" | "finalLoss" | "evalLoss" | "exactMatch"): string | null {
  switch (id) {
    case "learningRate":
      return run.learning_rate === null ? null : formatLearningRate(run.learning_rate);
    case "finalLoss":
      return run.final_loss === null ? null : formatLoss(run.final_loss);
    case "evalLoss":
      return run.eval_loss === null ? null : formatLoss(run.eval_loss);
    case "exactMatch":
      return run.exact_match === null ? null : formatPercent(run.exact_match);
  }
}
