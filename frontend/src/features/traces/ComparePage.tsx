import { Link, useSearchParams } from "react-router";
import { ErrorMessage } from "../../ui/ErrorMessage";
import { formatLocalTime, formatScore, shortId } from "./payload";
import { useTraceComparison, type TraceComparison } from "./queries";
import { TraceBody } from "./TraceBody";

type Side = "base" | "other";

function ComparedColumn({ side, comparison }: { side: Side; comparison: TraceComparison }) {
  const trace = comparison[side];
  const opposite = comparison[side === "base" ? "other" : "base"];
  const higher = trace.score > opposite.score;
  return (
    <article className={`card compare-column${higher ? " higher" : ""}`} data-testid={`compare:${side}`}>
      <div className="card-header">
        <h2>
          {side === "base" ? "Base" : "Other"} ·{" "}
          <Link to={`/traces/${trace.id}`} className="mono" title={trace.id}>
            {shortId(trace.id)}
          </Link>
        </h2>
        <p className="compare-score">
          <span data-testid={`compare:${side}-score`}>{formatScore(trace.score)}</span>
          <span className="muted"> / 100</span>
          {higher && <span className="badge">Higher score</span>}
        </p>
      </div>
      <p className="muted small">
        Created <time dateTime={trace.created_at}>{formatLocalTime(trace.created_at)}</time> · version{" "}
        <span className="mono">{trace.trace_version}</span>
      </p>
      <TraceBody payload={trace.payload} />
    </article>
  );
}

/** Two traces side by side with their baseline scores (computed now by the server). */
export function ComparePage() {
  const [searchParams] = useSearchParams();
  const base = searchParams.get("base") ?? "";
  const other = searchParams.get("other") ?? "";
  const comparison = useTraceComparison(base, other);

  if (!base || !other) {
    return (
      <section className="card">
        <h1>Compare traces</h1>
        <p>
          Pick two traces on the <Link to="/traces">Traces</Link> page and press “Compare selected”.
        </p>
      </section>
    );
  }

  return (
    <div className="stack">
      <p className="breadcrumb">
        <Link to="/traces">← Traces</Link>
      </p>
      <h1>Compare traces</h1>
      {comparison.isPending && <p className="muted">Loading comparison…</p>}
      {comparison.isError && <ErrorMessage error={comparison.error} title="Could not compare" />}
      {comparison.data && (
        <>
          {comparison.data.base.score === comparison.data.other.score && (
            <p className="muted">Both traces have the same baseline score.</p>
          )}
          <div className="compare-grid">
            <ComparedColumn side="base" comparison={comparison.data} />
            <ComparedColumn side="other" comparison={comparison.data} />
          </div>
        </>
      )}
    </div>
  );
}
