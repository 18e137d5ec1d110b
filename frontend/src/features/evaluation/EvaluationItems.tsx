import { Fragment, useState } from "react";
import { Link } from "react-router";
import { ErrorMessage } from "../../ui/ErrorMessage";
import { outputText, promptText } from "../runs/runOutput";
import { ITEM_PAGE_SIZE, type Evaluation, type EvaluationFacts, type ItemOutcome } from "./evaluation";
import { useEvaluationItems, type EvaluationItem } from "./queries";

type Tab = { outcome: ItemOutcome | null; label: string; count: number | null };

/** The tabs, with the server's counts where it has them (an evaluation that did not complete has none). */
function tabsOf(evaluation: Evaluation, facts: EvaluationFacts): Tab[] {
  const completed = evaluation.status === "completed";
  return [
    { outcome: null, label: "All", count: facts.answered ?? (completed ? evaluation.n_items : null) },
    { outcome: "wrong", label: "Wrong", count: facts.wrong },
    { outcome: "unscored", label: "Unscored", count: completed ? evaluation.n_unscored : null },
    { outcome: "correct", label: "Correct", count: facts.correct },
  ];
}

function outcomeOf(item: EvaluationItem): ItemOutcome {
  return item.correct === null ? "unscored" : item.correct ? "correct" : "wrong";
}

function OutcomeMark({ item }: { item: EvaluationItem }) {
  const outcome = outcomeOf(item);
  const text = { correct: "✓ right", wrong: "✗ wrong", unscored: "? unscored" }[outcome];
  return (
    <span className={`outcome outcome-${outcome}`} data-testid="eval:item-outcome">
      {text}
    </span>
  );
}

function Answer({ value }: { value: string | null }) {
  return value === null || value === "" ? <span className="muted">—</span> : <span className="mono">{value}</span>;
}

/** The whole output and what the judge said of it. */
function ItemDetail({ item }: { item: EvaluationItem }) {
  return (
    <div className="item-detail" data-testid="eval:item-detail">
      <h4>Prompt</h4>
      <pre className="code wrap">{promptText(item.prompt)}</pre>
      <h4>Output</h4>
      <pre className="code wrap" data-testid="eval:item-output">
        {outputText(item.output) || "(empty)"}
      </pre>
      {item.unscored_reason && (
        <p className="error" data-testid="eval:item-unscored-reason">
          <strong>Not scored: </strong>
          {item.unscored_reason}
        </p>
      )}
      {item.judge_reasoning && (
        <>
          <h4>Judge's reasoning</h4>
          <p className="text-block" data-testid="eval:item-judge-reasoning">
            {item.judge_reasoning}
          </p>
        </>
      )}
      {item.judge_raw && item.judge_raw !== item.judge_reasoning && (
        <details>
          <summary className="small">The judge's raw reply</summary>
          <pre className="code wrap">{item.judge_raw}</pre>
        </details>
      )}
      <p className="muted small">
        score {item.score ?? "—"} · {item.reasoning_steps} reasoning steps · {item.reasoning_tokens} reasoning tokens ·{" "}
        {item.output_tokens} output tokens · {Math.round(item.latency_ms)} ms
        {item.judge_attempts > 0 && ` · ${item.judge_attempts} judge call${item.judge_attempts === 1 ? "" : "s"}`}
        {item.trace_id && (
          <>
            {" · "}
            <Link to={`/traces/${item.trace_id}`}>its trace</Link>
          </>
        )}
      </p>
    </div>
  );
}

const COLUMNS = 8;

function ItemRow({ item, open, onToggle }: { item: EvaluationItem; open: boolean; onToggle: () => void }) {
  const prompt = promptText(item.prompt);
  return (
    <Fragment>
      <tr data-testid="eval:item" data-index={item.index} data-outcome={outcomeOf(item)} className={`item-row outcome-row-${outcomeOf(item)}`}>
        <td className="num muted">{item.index}</td>
        <td className="item-prompt" title={prompt}>
          {prompt}
        </td>
        <td data-testid="eval:item-expected">
          <Answer value={item.expected} />
        </td>
        <td data-testid="eval:item-extracted">
          <Answer value={item.extracted} />
        </td>
        <td>
          <OutcomeMark item={item} />
        </td>
        <td>
          {item.format_ok ? (
            <span className="mark ok" role="img" aria-label="format followed">
              ✓
            </span>
          ) : (
            <span className="mark bad" role="img" aria-label="format not followed">
              ✗
            </span>
          )}
        </td>
        <td className="num">{item.reasoning_tokens}</td>
        <td>
          <button type="button" className="link-button" onClick={onToggle} aria-expanded={open} data-testid="eval:item-toggle">
            {open ? "Hide" : "Output"}
          </button>
        </td>
      </tr>
      {open && (
        <tr className="item-detail-row">
          <td colSpan={COLUMNS}>
            <ItemDetail item={item} />
          </td>
        </tr>
      )}
    </Fragment>
  );
}

/**
 * The answered items as the server orders them (wrong first, then unscored, then right),
 * one outcome at a time or all, a page at a time: expected and extracted answer side by
 * side, and the whole output on demand.
 */
export function EvaluationItems({ evaluation, facts }: { evaluation: Evaluation; facts: EvaluationFacts }) {
  const [outcome, setOutcome] = useState<ItemOutcome | null>(null);
  const [offset, setOffset] = useState(0);
  const [open, setOpen] = useState<number[]>([]);
  const items = useEvaluationItems(evaluation.id, outcome, offset);
  const page = items.data;
  const rows = page?.data ?? [];
  const nextOffset = page?.pagination.next_offset ?? null;

  function choose(next: ItemOutcome | null) {
    setOutcome(next);
    setOffset(0);
    setOpen([]);
  }

  function toggle(index: number) {
    setOpen((current) => (current.includes(index) ? current.filter((i) => i !== index) : [...current, index]));
  }

  return (
    <div className="evaluation-items" data-testid="eval:items">
      <h3>Items</h3>
      <div className="tabs" role="tablist" aria-label="Which items">
        {tabsOf(evaluation, facts).map((tab) => (
          <button
            key={tab.label}
            type="button"
            role="tab"
            aria-selected={tab.outcome === outcome}
            className={tab.outcome === outcome ? "tab active" : "tab"}
            onClick={() => choose(tab.outcome)}
            data-testid={`eval:items-tab-${tab.outcome ?? "all"}`}
          >
            {tab.label}
            {tab.count !== null && <span className="tab-count">{tab.count}</span>}
          </button>
        ))}
      </div>
      <div role="tabpanel">
        {items.isError && <ErrorMessage error={items.error} title="Could not load the items" />}
        {items.isPending && <p className="muted small">Loading the items…</p>}
        {page && rows.length === 0 && (
          <p className="muted" data-testid="eval:items-empty">
            {offset > 0
              ? "No items on this page."
              : evaluation.status === "completed"
                ? "No items here."
                : "No item was stored before it ended."}
          </p>
        )}
        {rows.length > 0 && (
          <div className="table-wrap">
            <table className="items" data-testid="eval:items-table" aria-busy={items.isPlaceholderData}>
              <thead>
                <tr>
                  <th scope="col" className="num" title="The item's place in the split">
                    Item
                  </th>
                  <th scope="col">Prompt</th>
                  <th scope="col">Expected</th>
                  <th scope="col">Extracted</th>
                  <th scope="col">Outcome</th>
                  <th scope="col">Format</th>
                  <th scope="col" className="num" title="Reasoning tokens">
                    Reasoning
                  </th>
                  <th scope="col">
                    <span className="visually-hidden">Full output</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map((item) => (
                  <ItemRow key={item.index} item={item} open={open.includes(item.index)} onToggle={() => toggle(item.index)} />
                ))}
              </tbody>
            </table>
          </div>
        )}
        <nav className="pager" aria-label="Item pages">
          <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - ITEM_PAGE_SIZE))} data-testid="eval:items-prev">
            ← Previous
          </button>
          <span className="muted small" data-testid="eval:items-range">
            {rows.length > 0 ? `${offset + 1}–${offset + rows.length}` : ""}
          </span>
          <button
            type="button"
            disabled={nextOffset === null || items.isPlaceholderData}
            onClick={() => nextOffset !== null && setOffset(nextOffset)}
            data-testid="eval:items-next"
          >
            Next →
          </button>
        </nav>
      </div>
    </div>
  );
}
