import { Link, useParams } from "react-router";
import { isApiError } from "../../api/errors";
import { ErrorMessage } from "../../ui/ErrorMessage";
import { formatLocalTime } from "./payload";
import { useTrace } from "./queries";
import { ScorePanel } from "./ScorePanel";
import { TraceBody } from "./TraceBody";

export function TraceDetailPage() {
  const { id = "" } = useParams();
  const trace = useTrace(id);

  if (trace.isPending) return <p className="muted">Loading trace…</p>;
  if (trace.isError) {
    if (isApiError(trace.error) && trace.error.status === 404) {
      return (
        <section className="card" data-testid="trace:not-found">
          <h1>Trace not found</h1>
          <p>
            No trace has the id <code>{id}</code>. <Link to="/traces">Back to traces</Link>
          </p>
        </section>
      );
    }
    return <ErrorMessage error={trace.error} title="Could not load the trace" />;
  }

  const detail = trace.data;
  return (
    <div className="stack">
      <p className="breadcrumb">
        <Link to="/traces">← Traces</Link>
      </p>
      <div className="detail-grid">
        <article className="card" data-testid="trace:detail" aria-labelledby="trace-title">
          <h1 id="trace-title">
            Trace <span className="mono">{detail.id}</span>
          </h1>
          <p className="muted small">
            Created <time dateTime={detail.created_at}>{formatLocalTime(detail.created_at)}</time> · version{" "}
            <span className="mono">{detail.trace_version}</span>
          </p>
          <TraceBody payload={detail.payload} />
        </article>
        <ScorePanel traceId={detail.id} />
      </div>
    </div>
  );
}
