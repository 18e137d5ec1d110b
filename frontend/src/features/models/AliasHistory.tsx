import { Link } from "react-router";
import { ErrorMessage } from "../../ui/ErrorMessage";
import { regressionPath } from "../regression/regression";
import { formatLocalTime } from "../traces/payload";
import { ACTION_LABELS, ALIAS_HISTORY_PAGE_SIZE, type AliasEvent, type VersionRef } from "./models";
import type { useAliasHistory } from "./queries";

function Version({ version }: { version: VersionRef | null }) {
  return version ? <span className="mono">{version.version}</span> : <span className="muted">—</span>;
}

function EventRow({ event }: { event: AliasEvent }) {
  return (
    <tr data-testid="models:history-row" data-action={event.action}>
      <td>
        <time dateTime={event.created_at}>{formatLocalTime(event.created_at)}</time>
      </td>
      <td>
        <span className={`pill alias-action action-${event.action}`} data-testid="models:history-action">
          {ACTION_LABELS[event.action]}
        </span>
      </td>
      <td data-testid="models:history-move">
        <Version version={event.from_version} /> → <Version version={event.to_version} />
      </td>
      <td>{event.actor ?? <span className="muted" title="Auth is off: no token named who">—</span>}</td>
      <td>
        {event.check_id ? (
          <Link to={regressionPath({ check: event.check_id })} className="small" data-testid="models:history-check">
            check
          </Link>
        ) : (
          <span className="muted">—</span>
        )}
      </td>
      <td className="history-reason">{event.reason ?? <span className="muted">—</span>}</td>
    </tr>
  );
}

type HistoryQuery = ReturnType<typeof useAliasHistory>;

/** Every move of one alias, newest first, refused ones too; a page at a time. */
export function AliasHistory({
  alias,
  history,
  offset,
  onOffset,
}: {
  alias: string;
  history: HistoryQuery;
  offset: number;
  onOffset: (offset: number) => void;
}) {
  if (history.isPending) return <p className="muted small">Loading its history…</p>;
  if (history.isError && !history.data) return <ErrorMessage error={history.error} title="Could not load the history" />;
  const rows = history.data.data;
  const nextOffset = history.data.pagination.next_offset;
  return (
    <div className="alias-history" data-testid="models:history">
      <div className="table-wrap">
        <table className="history" aria-label={`History of ${alias}, newest first`} aria-busy={history.isPlaceholderData}>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Action</th>
              <th scope="col">From → to</th>
              <th scope="col">By</th>
              <th scope="col">Check</th>
              <th scope="col">Reason</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((event) => (
              <EventRow key={event.id} event={event} />
            ))}
          </tbody>
        </table>
      </div>
      {(offset > 0 || nextOffset !== null) && (
        <nav className="pager" aria-label={`History pages of ${alias}`}>
          <button type="button" className="link-button" disabled={offset === 0} onClick={() => onOffset(Math.max(0, offset - ALIAS_HISTORY_PAGE_SIZE))}>
            ← Newer
          </button>
          <button
            type="button"
            className="link-button"
            disabled={nextOffset === null || history.isPlaceholderData}
            onClick={() => nextOffset !== null && onOffset(nextOffset)}
          >
            Older →
          </button>
        </nav>
      )}
    </div>
  );
}
