import { Link } from "react-router";
import { evaluationPath } from "../evaluation/evaluation";
import { shortId } from "../traces/payload";
import { formatValue, type FlippedItem } from "./regression";

function Answer({ text, testId }: { text: string | null; testId: string }) {
  return text === null ? (
    <span className="muted" data-testid={testId}>
      —
    </span>
  ) : (
    <span className="mono" data-testid={testId}>
      {text}
    </span>
  );
}

type FlippedItemsProps = {
  items: FlippedItem[];
  evaluationId: string;
  baselineEvaluationId: string;
};

/**
 * The items whose result changed between the baseline's evaluation and the current one,
 * worse first (the server's order): expected, what each answered, and where to read them.
 */
export function FlippedItems({ items, evaluationId, baselineEvaluationId }: FlippedItemsProps) {
  const worse = items.filter((item) => item.direction === "worse").length;
  return (
    <section className="flipped" aria-labelledby="flipped-title" data-testid="regression:flipped">
      <h3 id="flipped-title">
        Flipped items{" "}
        <span className="muted small" data-testid="regression:flipped-count">
          {items.length === 0 ? "none: every paired item scored the same" : `${worse} worse, ${items.length - worse} better`}
        </span>
      </h3>
      {items.length > 0 && (
        <div className="table-wrap">
          <table className="flipped-items">
            <thead>
              <tr>
                <th scope="col" className="num">
                  Item
                </th>
                <th scope="col">Change</th>
                <th scope="col">Trace</th>
                <th scope="col">Expected</th>
                <th scope="col">Was</th>
                <th scope="col">Now</th>
                <th scope="col">Evaluations</th>
              </tr>
            </thead>
            <tbody>
              {items.map((item) => (
                <tr key={item.index} data-testid="regression:flipped-item" data-direction={item.direction}>
                  <td className="num">{item.index}</td>
                  <td>
                    <span className={`outcome outcome-${item.direction === "worse" ? "wrong" : "correct"}`}>
                      {item.direction === "worse" ? "▼ worse" : "▲ better"}
                    </span>{" "}
                    <span className="muted small">
                      {formatValue(item.baseline_value)} → {formatValue(item.current_value)}
                    </span>
                  </td>
                  <td>
                    {item.trace_id === null ? (
                      <span className="muted">—</span>
                    ) : (
                      <Link to={`/traces/${item.trace_id}`} className="mono" title={item.trace_id} data-testid="regression:flipped-trace">
                        {shortId(item.trace_id)}
                      </Link>
                    )}
                  </td>
                  <td>
                    <Answer text={item.expected} testId="regression:flipped-expected" />
                  </td>
                  <td>
                    <Answer text={item.baseline_extracted} testId="regression:flipped-was" />
                  </td>
                  <td>
                    <Answer text={item.current_extracted} testId="regression:flipped-now" />
                  </td>
                  <td>
                    <Link to={evaluationPath(evaluationId)} data-testid="regression:flipped-current">
                      current
                    </Link>
                    {" · "}
                    <Link to={evaluationPath(baselineEvaluationId)} className="muted" data-testid="regression:flipped-baseline">
                      baseline
                    </Link>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
