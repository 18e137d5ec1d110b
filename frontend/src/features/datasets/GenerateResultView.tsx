import { Link } from "react-router";
import type { GenerateResult } from "./queries";

/** How many traces a generator stored, and the first of them. */
export function GenerateResultView({ result }: { result: GenerateResult }) {
  const [first] = result.preview;
  const firstId = result.trace_ids[0];
  const source = first?.meta?.source;
  return (
    <div className="success gen-result" role="status" data-testid="gen:result">
      <p>
        Created <strong data-testid="gen:created">{result.created.toLocaleString()}</strong>{" "}
        {result.created === 1 ? "trace" : "traces"} with <code>{result.generator}</code>
        {typeof source === "string" && (
          <>
            {" "}
            (source <code>{source}</code>)
          </>
        )}
        , seed <strong data-testid="gen:seed-used">{result.seed}</strong>.
      </p>
      {result.repeated > 0 && (
        <p className="warning-text" data-testid="gen:repeated">
          {result.repeated.toLocaleString()} of them repeat a prompt already stored or earlier in this batch: a dataset
          built from them can ask the same question in train and eval.
        </p>
      )}
      {first && (
        <div data-testid="gen:preview">
          <h3>First trace</h3>
          <div className="text-block">{first.prompt}</div>
          <p className="small">
            {first.steps.length} steps · answer <strong>{first.final_answer}</strong>
            {firstId && (
              <>
                {" "}
                · <Link to={`/traces/${firstId}`}>open</Link>
              </>
            )}
          </p>
        </div>
      )}
    </div>
  );
}
