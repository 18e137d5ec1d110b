import { useState, type ReactNode } from "react";
import { Link } from "react-router";
import { ErrorMessage } from "../../ui/ErrorMessage";
import { formatLocalTime } from "../traces/payload";
import { useRunGenerations, type RunCheck, type RunGenerations, type RunResult } from "./queries";
import { runPath } from "./history";
import { RunStatusBadge } from "./RunStatusBadge";
import {
  checkpointName,
  formatLoss,
  formatNumber,
  formatPercent,
  formatSeconds,
  formatValue,
  KNOWN_SUMMARY_KEYS,
  numberAt,
  outputText,
  promptText,
  scoreLine,
} from "./runOutput";

function Mark({ ok }: { ok: boolean | null }) {
  if (ok === null) return <span className="muted">?</span>;
  return (
    <span className={ok ? "mark ok" : "mark bad"} role="img" aria-label={ok ? "passed" : "failed"}>
      {ok ? "✓" : "✗"}
    </span>
  );
}

export function Checks({ checks }: { checks: RunCheck[] }) {
  if (checks.length === 0) return null;
  return (
    <>
      <h3>Checks</h3>
      <ul className="checks" data-testid="run:checks">
        {checks.map((check) => (
          <li key={check.name} data-testid="run:check" data-ok={String(check.ok)}>
            <Mark ok={check.ok} />
            <strong className="mono">{check.name}</strong>
            <span className="check-detail">{check.detail}</span>
          </li>
        ))}
      </ul>
    </>
  );
}

function Fact({ name, testId, value, children }: { name: string; testId: string; value?: number; children: ReactNode }) {
  return (
    <div className="fact">
      <dt>{name}</dt>
      <dd data-testid={testId} data-value={value}>
        {children}
      </dd>
    </div>
  );
}

/**
 * The training process's summary: steps, losses, accuracy, speed, memory, checkpoint.
 * The exact match is told from the held-out answers the server stored (`generations`),
 * once they are loaded: how many of how many, and the percentage of those.
 */
export function Summary({ summary, generations }: { summary: Record<string, unknown>; generations?: RunGenerations | undefined }) {
  const steps = numberAt(summary, "steps");
  const startStep = numberAt(summary, "start_step");
  const initial = numberAt(summary, "initial_loss");
  const final = numberAt(summary, "final_loss");
  const evalLoss = numberAt(summary, "eval_loss");
  const evalLossStep = numberAt(summary, "eval_loss_step");
  const exactMatch = numberAt(summary, "exact_match");
  const stepsPerSecond = numberAt(summary, "steps_per_second");
  const tokensPerSecond = numberAt(summary, "tokens_per_second");
  const peakRss = numberAt(summary, "peak_rss_mb");
  const wall = numberAt(summary, "wall_seconds");
  const checkpoint = numberAt(summary, "latest_checkpoint");
  const trainExamples = numberAt(summary, "train_examples");
  const evalExamples = numberAt(summary, "eval_examples");
  const error = typeof summary.error === "string" ? summary.error : null;
  const others = Object.entries(summary).filter(([key]) => !KNOWN_SUMMARY_KEYS.has(key));
  const score = generations ? scoreLine(generations) : null;

  return (
    <>
      <h3>Summary</h3>
      {error && (
        <p className="error" data-testid="run:summary-error">
          {error}
        </p>
      )}
      <dl className="facts" data-testid="run:summary">
        {steps !== null && (
          <Fact name="Steps" testId="run:summary-steps" value={steps}>
            {steps.toLocaleString()}
            {startStep ? <span className="muted"> (resumed at step {startStep})</span> : null}
          </Fact>
        )}
        {(initial !== null || final !== null) && (
          <div className="fact">
            <dt>Loss</dt>
            <dd data-testid="run:summary-loss">
              <span data-testid="run:initial-loss" data-value={initial ?? undefined}>
                {initial === null ? "—" : formatLoss(initial)}
              </span>{" "}
              →{" "}
              <strong data-testid="run:final-loss" data-value={final ?? undefined}>
                {final === null ? "—" : formatLoss(final)}
              </strong>
              <span className="muted"> (first → last training step)</span>
            </dd>
          </div>
        )}
        {evalLoss !== null && (
          <Fact name="Eval loss" testId="run:eval-loss" value={evalLoss}>
            {formatLoss(evalLoss)}
            {evalLossStep !== null && <span className="muted"> (at step {evalLossStep})</span>}
          </Fact>
        )}
        {score !== null ? (
          <Fact name="Exact match" testId="run:exact-match" value={generations?.exact_match ?? undefined}>
            {score}
          </Fact>
        ) : (
          exactMatch !== null && (
            <Fact name="Exact match" testId="run:exact-match" value={exactMatch}>
              {formatPercent(exactMatch)}
              <span className="muted"> of the held-out prompts</span>
            </Fact>
          )
        )}
        {stepsPerSecond !== null && (
          <Fact name="Steps/s" testId="run:steps-per-second" value={stepsPerSecond}>
            {formatNumber(stepsPerSecond, 3)}
          </Fact>
        )}
        {tokensPerSecond !== null && (
          <Fact name="Tokens/s" testId="run:tokens-per-second" value={tokensPerSecond}>
            {formatNumber(tokensPerSecond, 0)}
          </Fact>
        )}
        {peakRss !== null && (
          <Fact name="Peak RSS" testId="run:peak-rss" value={peakRss}>
            {formatNumber(peakRss, 0)} MB
          </Fact>
        )}
        {wall !== null && (
          <Fact name="Wall time" testId="run:wall-time" value={wall}>
            {formatSeconds(wall)}
          </Fact>
        )}
        {(trainExamples !== null || evalExamples !== null) && (
          <Fact name="Examples" testId="run:examples">
            train {trainExamples ?? "—"} · eval {evalExamples ?? "—"}
          </Fact>
        )}
        {checkpoint !== null && (
          <Fact name="Latest checkpoint" testId="run:latest-checkpoint" value={checkpoint}>
            step {checkpoint}
            <span className="muted"> · </span>
            <span className="mono path" title="Under the run's artifacts">
              {checkpointName(checkpoint)}
            </span>
          </Fact>
        )}
        {others.map(([key, value]) => (
          <Fact key={key} name={key} testId={`run:summary-${key}`}>
            <span className="mono hash">{formatValue(value)}</span>
          </Fact>
        ))}
      </dl>
    </>
  );
}

/** Rows the answers table shows until "Show all" is clicked. */
const GENERATION_PREVIEW_ROWS = 20;

type GenerationsQuery = ReturnType<typeof useRunGenerations>;

/**
 * Every held-out prompt the run answered, as the server stored them: its score line
 * (from the server's counts) and a table of prompt, expected answer, output and mark,
 * the first GENERATION_PREVIEW_ROWS rows until asked for all.
 */
export function Generations({ answers }: { answers: GenerationsQuery }) {
  const [showAll, setShowAll] = useState(false);
  if (answers.isError) {
    return (
      <>
        <h3>Generations</h3>
        <ErrorMessage error={answers.error} title="Could not load the held-out answers" />
      </>
    );
  }
  if (answers.isLoading) {
    return (
      <p className="muted small" data-testid="run:generations-loading">
        Loading the held-out answers…
      </p>
    );
  }
  const data = answers.data;
  const score = data ? scoreLine(data) : null;
  if (!data || score === null) return null;
  const long = data.generations.length > GENERATION_PREVIEW_ROWS;
  const shown = showAll || !long ? data.generations : data.generations.slice(0, GENERATION_PREVIEW_ROWS);
  return (
    <>
      <h3>Generations</h3>
      <p data-testid="run:generations-score" data-total={data.total} data-correct={data.correct}>
        {score}
      </p>
      <div className="table-wrap">
        <table className="generations" data-testid="run:generations">
          <thead>
            <tr>
              <th scope="col">Prompt</th>
              <th scope="col">Expected</th>
              <th scope="col">Output</th>
              <th scope="col">Correct</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((generation) => (
              <tr
                key={generation.index}
                data-testid="run:generation"
                data-index={generation.index}
                data-correct={String(generation.correct)}
              >
                <td title={generation.prompt}>{promptText(generation.prompt)}</td>
                <td className="mono">{generation.expected ?? <span className="muted">—</span>}</td>
                <td className="mono output">{outputText(generation.output) || <span className="muted">(empty)</span>}</td>
                <td>
                  <Mark ok={generation.correct} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {long && (
        <p className="muted small" data-testid="run:generations-shown">
          {showAll ? `All ${data.generations.length} shown.` : `First ${shown.length} of ${data.generations.length} shown.`}{" "}
          <button
            type="button"
            className="link-button"
            onClick={() => setShowAll(!showAll)}
            aria-expanded={showAll}
            data-testid="run:generations-toggle"
          >
            {showAll ? `Show the first ${GENERATION_PREVIEW_ROWS}` : `Show all ${data.generations.length}`}
          </button>
        </p>
      )}
    </>
  );
}

function Log({ name, text, testId }: { name: string; text: string; testId: string }) {
  const lines = text ? text.split("\n").filter(Boolean).length : 0;
  return (
    <details className="log" data-testid={testId}>
      <summary>
        {name} <span className="muted">({lines === 0 ? "empty" : `${lines} line${lines === 1 ? "" : "s"}`})</span>
      </summary>
      {lines > 0 && <pre className="code">{text}</pre>}
    </details>
  );
}

/** What POST /api/tunix/run answered: status, message, checks, summary, generations, output. */
export function RunResultView({ result }: { result: RunResult }) {
  const answers = useRunGenerations(result);
  const succeeded = result.status === "completed";
  return (
    <section className="card run-result" aria-labelledby="run-result-title" data-testid="run:result">
      <div className="card-header">
        <h2 id="run-result-title">{result.mode === "dry-run" ? "Dry run" : "Training run"}</h2>
        <RunStatusBadge status={result.status} />
      </div>
      <p className={succeeded ? "success" : "error"} data-testid="run:message">
        {result.message}
      </p>
      <Checks checks={result.checks ?? []} />
      {result.summary && <Summary summary={result.summary} generations={answers.data} />}
      <Generations answers={answers} />
      <h3>Run</h3>
      <dl className="facts">
        <Fact name="Run id" testId="run:run-id">
          <Link to={runPath(result.run_id)} className="mono" data-testid="run:result-link">
            {result.run_id}
          </Link>
        </Fact>
        <Fact name="Output dir" testId="run:output-dir-value">
          <span className="mono path">{result.output_dir}</span>
        </Fact>
        <Fact name="Dataset · model" testId="run:target">
          <span className="mono">{result.dataset_key}</span> · <span className="mono">{result.model_id}</span>
        </Fact>
        <Fact name="Started" testId="run:started">
          <time dateTime={result.started_at}>{formatLocalTime(result.started_at)}</time>
          {result.duration_seconds !== null && <span className="muted"> · took {formatSeconds(result.duration_seconds)}</span>}
          {result.exit_code !== null && <span className="muted"> · exit code {result.exit_code}</span>}
        </Fact>
      </dl>
      <div className="logs">
        <Log name="stdout" text={result.stdout} testId="run:stdout" />
        <Log name="stderr" text={result.stderr} testId="run:stderr" />
      </div>
    </section>
  );
}
