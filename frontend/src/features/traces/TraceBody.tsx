import { readTracePayload } from "./payload";

/** Prompt, steps in order, final answer and meta of a stored trace. */
export function TraceBody({ payload }: { payload: Record<string, unknown> }) {
  const trace = readTracePayload(payload);
  if (!trace) {
    return (
      <>
        <p className="muted">This payload is not in the reasoning-trace shape; shown as stored.</p>
        <pre className="code">{JSON.stringify(payload, null, 2)}</pre>
      </>
    );
  }
  return (
    <div className="trace-body">
      <h3>Prompt</h3>
      <div className="text-block">{trace.prompt}</div>

      <h3>Steps ({trace.steps.length})</h3>
      <ol className="steps">
        {trace.steps.map((step) => (
          <li key={step.i} className="step" data-testid="trace:step">
            <div className="step-head">
              <span className="step-index" title="Step index">
                #{step.i}
              </span>
              <span className="step-type">{step.type}</span>
            </div>
            <div className="text-block">{step.content}</div>
          </li>
        ))}
      </ol>

      <h3>Final answer</h3>
      <div className="text-block answer" data-testid="trace:final-answer">
        {trace.final_answer}
      </div>

      {trace.meta && Object.keys(trace.meta).length > 0 && (
        <>
          <h3>Meta</h3>
          <pre className="code">{JSON.stringify(trace.meta, null, 2)}</pre>
        </>
      )}
    </div>
  );
}
