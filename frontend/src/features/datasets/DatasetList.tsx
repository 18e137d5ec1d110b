import { Link, useSearchParams } from "react-router";
import { ErrorMessage } from "../../ui/ErrorMessage";
import { formatLocalTime } from "../traces/payload";
import { datasetPath } from "./manifest";
import { DATASET_PAGE_SIZE, useDatasetList } from "./queries";

function readOffset(value: string | null): number {
  const offset = Number(value);
  return Number.isInteger(offset) && offset > 0 ? offset : 0;
}

/** Built datasets, newest first, 20 a page. */
export function DatasetList() {
  const [searchParams, setSearchParams] = useSearchParams();
  const offset = readOffset(searchParams.get("offset"));
  const list = useDatasetList(offset);

  function goTo(nextOffset: number) {
    setSearchParams(nextOffset > 0 ? { offset: String(nextOffset) } : {});
  }

  const page = list.data;
  const rows = page?.data ?? [];
  const nextOffset = page?.pagination.next_offset ?? null;

  return (
    <section className="card" aria-labelledby="dataset-list-title">
      <div className="card-header">
        <h2 id="dataset-list-title">Datasets</h2>
      </div>

      {list.isError && <ErrorMessage error={list.error} title="Could not load datasets" />}
      {list.isPending && <p className="muted">Loading datasets…</p>}
      {page && rows.length === 0 && (
        <p className="muted">{offset > 0 ? "No datasets on this page." : "No datasets yet — build one above."}</p>
      )}
      {rows.length > 0 && (
        <div className="table-wrap">
          <table data-testid="dataset:list" aria-busy={list.isFetching}>
            <thead>
              <tr>
                <th scope="col">Dataset</th>
                <th scope="col">Created</th>
                <th scope="col" className="num">
                  Traces
                </th>
                <th scope="col" className="num">
                  Train / eval
                </th>
                <th scope="col">Description</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((dataset) => (
                <tr key={dataset.dataset_key} data-testid="dataset:row">
                  <td>
                    <Link to={datasetPath(dataset.dataset_key)} className="mono">
                      {dataset.dataset_key}
                    </Link>
                  </td>
                  <td>
                    <time dateTime={dataset.created_at}>{formatLocalTime(dataset.created_at)}</time>
                  </td>
                  <td className="num">{dataset.trace_count.toLocaleString()}</td>
                  <td className="num">
                    {dataset.train_count.toLocaleString()} / {dataset.eval_count.toLocaleString()}
                  </td>
                  <td className="truncate" title={dataset.description ?? undefined}>
                    {dataset.description ?? <span className="muted">—</span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      <nav className="pager" aria-label="Dataset pages">
        <button
          type="button"
          disabled={offset === 0}
          onClick={() => goTo(Math.max(0, offset - DATASET_PAGE_SIZE))}
          data-testid="dataset:prev-page"
        >
          ← Previous
        </button>
        <span className="muted small">{rows.length > 0 ? `${offset + 1}–${offset + rows.length}` : ""}</span>
        <button
          type="button"
          disabled={nextOffset === null || list.isPlaceholderData}
          onClick={() => nextOffset !== null && goTo(nextOffset)}
          data-testid="dataset:next-page"
        >
          Next →
        </button>
      </nav>
    </section>
  );
}
