import { useState } from "react";
import { useSearchParams } from "react-router";
import { ErrorMessage } from "../../ui/ErrorMessage";
import { BaseModelForm } from "./BaseModelForm";
import {
  hasLeaderboardFilters,
  LEADERBOARD_PAGE_SIZE,
  nextSort,
  NO_LEADERBOARD_FILTERS,
  RANK_ORDER,
  readLeaderboardQuery,
  withLeaderboardQuery,
  type LeaderboardQuery,
  type LeaderboardSort,
} from "./leaderboard";
import { LeaderboardFilters } from "./LeaderboardFilters";
import { LeaderboardTable } from "./LeaderboardTable";
import { useLeaderboard } from "./queries";

/**
 * The leaderboard: the newest completed evaluation of each trained run and base model per
 * dataset, split and judge, best first, with its 95% interval; filtered and paged through
 * the URL. Below, a form to evaluate a base model.
 */
export function LeaderboardPage() {
  const [searchParams, setSearchParams] = useSearchParams();
  const query = readLeaderboardQuery(searchParams);
  const board = useLeaderboard(query);
  // Orders the page shown only: the server ranks across pages.
  const [sort, setSort] = useState<LeaderboardSort>(RANK_ORDER);

  function show(next: LeaderboardQuery) {
    setSearchParams((current) => withLeaderboardQuery(current, next));
  }

  const page = board.data;
  const rows = page?.data ?? [];
  const nextOffset = page?.pagination.next_offset ?? null;
  const filtered = hasLeaderboardFilters(query);

  return (
    <div className="stack">
      <section className="card" aria-labelledby="leaderboard-title" data-testid="leaderboard:page">
        <div className="card-header">
          <h1 id="leaderboard-title">Leaderboard</h1>
          <span className="muted small">Mock-judged evaluations are never listed.</span>
        </div>
        <p className="muted small">
          The newest completed evaluation of each trained run and base model, per dataset, split and judge, best score first.
          The interval is the score's 95% interval; <strong>pass</strong> means its lower bound beats always giving the split's
          commonest answer.
        </p>
        <LeaderboardFilters query={query} onChange={show} />
        {board.isError && (
          <ErrorMessage error={board.error} title={page ? "Could not refresh the leaderboard" : "Could not load the leaderboard"} />
        )}
        {board.isPending && <p className="muted">Loading the leaderboard…</p>}
        {page && rows.length === 0 && (
          <p className="muted" data-testid="leaderboard:empty">
            {query.offset > 0
              ? "No evaluations on this page."
              : filtered
                ? "No evaluation matches these filters."
                : "No evaluations yet: a training run is evaluated when it completes, or evaluate a base model below."}{" "}
            {filtered && (
              <button type="button" className="link-button" onClick={() => show(NO_LEADERBOARD_FILTERS)}>
                Clear filters
              </button>
            )}
          </p>
        )}
        {rows.length > 0 && (
          <LeaderboardTable
            rows={rows}
            offset={query.offset}
            sort={sort}
            onSort={(key) => setSort(nextSort(sort, key))}
            busy={board.isPlaceholderData}
          />
        )}
        <nav className="pager" aria-label="Leaderboard pages">
          <button
            type="button"
            disabled={query.offset === 0}
            onClick={() => show({ ...query, offset: Math.max(0, query.offset - LEADERBOARD_PAGE_SIZE) })}
            data-testid="leaderboard:prev-page"
          >
            ← Previous
          </button>
          <span className="muted small" data-testid="leaderboard:page-range">
            {rows.length > 0 ? `${query.offset + 1}–${query.offset + rows.length}` : ""}
            {sort.key !== "rank" && rows.length > 0 && " · this page reordered"}
          </span>
          <button
            type="button"
            disabled={nextOffset === null || board.isPlaceholderData}
            onClick={() => nextOffset !== null && show({ ...query, offset: nextOffset })}
            data-testid="leaderboard:next-page"
          >
            Next →
          </button>
        </nav>
      </section>
      <BaseModelForm />
    </div>
  );
}
