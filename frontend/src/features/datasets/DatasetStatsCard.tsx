import { formatNumber, readStats, STAT_NAMES } from "./manifest";

const STAT_LABELS = {
  prompt_chars: "Prompt chars",
  final_answer_chars: "Answer chars",
  steps: "Steps",
  total_chars: "Total chars",
} as const;

/** Length statistics (min, max, mean, median) and the traces per `meta.source`. */
export function DatasetStatsCard({ stats }: { stats: Record<string, unknown> }) {
  const read = readStats(stats);
  return (
    <section className="card" aria-labelledby="dataset-stats-title">
      <h2 id="dataset-stats-title">Stats</h2>
      {read ? (
        <>
          <div className="table-wrap">
            <table className="stats" data-testid="dataset:stats">
              <thead>
                <tr>
                  <th scope="col">Per trace</th>
                  <th scope="col" className="num">min</th>
                  <th scope="col" className="num">p50</th>
                  <th scope="col" className="num">mean</th>
                  <th scope="col" className="num">max</th>
                </tr>
              </thead>
              <tbody>
                {STAT_NAMES.map((name) => (
                  <tr key={name} data-testid={`dataset:stat-${name}`}>
                    <th scope="row" title={name}>
                      {STAT_LABELS[name]}
                    </th>
                    <td className="num">{formatNumber(read[name].min)}</td>
                    <td className="num">{formatNumber(read[name].p50)}</td>
                    <td className="num">{formatNumber(read[name].mean)}</td>
                    <td className="num">{formatNumber(read[name].max)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <h3>Sources</h3>
          <ul className="sources" data-testid="dataset:sources">
            {Object.entries(read.sources).map(([source, count]) => (
              <li key={source}>
                <code>{source}</code> <span className="muted">{count.toLocaleString()}</span>
              </li>
            ))}
          </ul>
        </>
      ) : (
        <pre className="code" data-testid="dataset:stats-raw">
          {JSON.stringify(stats, null, 2)}
        </pre>
      )}
    </section>
  );
}
