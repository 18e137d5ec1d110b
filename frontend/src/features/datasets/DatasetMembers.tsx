import { Link, useSearchParams } from "react-router";
import { ErrorMessage } from "../../ui/ErrorMessage";
import { EXPORT_SPLITS, MEMBER_PAGE_SIZE, useDatasetMembers, type DatasetManifest, type ExportSplit } from "./queries";

const TAB_LABELS: Record<ExportSplit, string> = { all: "All", train: "Train", eval: "Eval" };

function readSplit(value: string | null): ExportSplit {
  return EXPORT_SPLITS.find((split) => split === value) ?? "all";
}

function readOffset(value: string | null): number {
  const offset = Number(value);
  return Number.isInteger(offset) && offset > 0 ? offset : 0;
}

/** Tab counts from the manifest's stored sizes: no count query. */
function countOf(manifest: DatasetManifest, split: ExportSplit): number {
  return split === "all" ? manifest.trace_count : manifest.split[split];
}

/**
 * The dataset's member traces in dataset order, one split or all, 50 a page, each
 * linked to its trace. The split and offset live in the URL, so Back from a trace
 * returns to the same page.
 */
export function DatasetMembers({ manifest }: { manifest: DatasetManifest }) {
  const [searchParams, setSearchParams] = useSearchParams();
  const split = readSplit(searchParams.get("split"));
  const offset = readOffset(searchParams.get("offset"));
  const members = useDatasetMembers(manifest.dataset_key, split, offset);
  const page = members.data;
  const rows = page?.data ?? [];
  const nextOffset = page?.pagination.next_offset ?? null;

  function goTo(nextSplit: ExportSplit, next: number) {
    const params: Record<string, string> = {};
    if (nextSplit !== "all") params.split = nextSplit;
    if (next > 0) params.offset = String(next);
    setSearchParams(params);
  }

  return (
    <section className="card" data-testid="dataset:members" aria-labelledby="dataset-members-title">
      <h2 id="dataset-members-title">Traces</h2>
      <div className="tabs" role="tablist" aria-label="Which split">
        {EXPORT_SPLITS.map((tab) => (
          <button
            key={tab}
            type="button"
            role="tab"
            aria-selected={tab === split}
            className={tab === split ? "tab active" : "tab"}
            onClick={() => goTo(tab, 0)}
            data-testid={`dataset:members-tab-${tab}`}
          >
            {TAB_LABELS[tab]}
            <span className="tab-count">{countOf(manifest, tab).toLocaleString()}</span>
          </button>
        ))}
      </div>
      <div role="tabpanel">
        {members.isError && <ErrorMessage error={members.error} title="Could not load its traces" />}
        {members.isPending && <p className="muted small">Loading its traces…</p>}
        {page && rows.length === 0 && (
          <p className="muted" data-testid="dataset:members-empty">
            {offset > 0 ? "No traces on this page." : "No traces in this split."}
          </p>
        )}
        {rows.length > 0 && (
          <div className="table-wrap">
            <table className="members" data-testid="dataset:members-table" aria-busy={members.isPlaceholderData}>
              <thead>
                <tr>
                  <th scope="col" className="num" title="Place in dataset order">
                    #
                  </th>
                  <th scope="col">Split</th>
                  <th scope="col">Prompt</th>
                  <th scope="col">Final answer</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((member) => (
                  <tr key={member.position} data-testid="dataset:member" data-split={member.split}>
                    <td className="num muted">{member.position}</td>
                    <td>
                      <span className={`split-chip split-${member.split}`}>{member.split}</span>
                    </td>
                    <td className="member-prompt" title={member.prompt_preview}>
                      <Link to={`/traces/${member.trace_id}`} data-testid="dataset:member-link">
                        {member.prompt_preview}
                      </Link>
                    </td>
                    <td className="member-answer mono" title={member.final_answer}>
                      {member.final_answer}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <nav className="pager" aria-label="Trace pages">
          <button
            type="button"
            disabled={offset === 0}
            onClick={() => goTo(split, Math.max(0, offset - MEMBER_PAGE_SIZE))}
            data-testid="dataset:members-prev"
          >
            ← Previous
          </button>
          <span className="muted small" data-testid="dataset:members-range">
            {rows.length > 0 ? `${offset + 1}–${offset + rows.length} of ${countOf(manifest, split).toLocaleString()}` : ""}
          </span>
          <button
            type="button"
            disabled={nextOffset === null || members.isPlaceholderData}
            onClick={() => nextOffset !== null && goTo(split, nextOffset)}
            data-testid="dataset:members-next"
          >
            Next →
          </button>
        </nav>
      </div>
    </section>
  );
}
