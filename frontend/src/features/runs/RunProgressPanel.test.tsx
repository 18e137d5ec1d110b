import { render, screen } from "@testing-library/react";
import { describe, expect, it, onTestFinished, vi } from "vitest";
import { LOCAL_SUMMARY, RUN_CONFIG, runDetail } from "../../test/runs";
import { mergeMetrics, EMPTY_SERIES, STEPS_PER_SECOND, TOKENS_PER_SECOND, TRAIN_LOSS } from "./metricSeries";
import type { RunDetail } from "./queries";
import { RunProgressPanel } from "./RunProgressPanel";

const STARTED = "2025-03-01T12:00:03Z";

function running(overrides: Record<string, unknown> = {}): RunDetail {
  const config = { ...RUN_CONFIG, max_steps: 60 };
  return runDetail({ mode: "local", status: "running", started_at: STARTED, completed_at: null, duration_seconds: null, config, ...overrides }) as RunDetail;
}

const series = (...steps: number[]) => mergeMetrics(EMPTY_SERIES, steps.map((step) => ({ name: TRAIN_LOSS, step, value: 5 - step / 10 })));

/** The clock stands 10 s after the run started. */
function tenSecondsIn() {
  vi.useFakeTimers({ now: Date.parse(STARTED) + 10_000 });
  onTestFinished(() => {
    vi.useRealTimers();
  });
}

describe("run progress panel", () => {
  it("shows the step of the total, the bar, the pace, the time so far and the time left", () => {
    tenSecondsIn();
    render(<RunProgressPanel run={running()} series={series(10, 20)} />);
    expect(screen.getByTestId("run:progress-step")).toHaveTextContent("step 20 of 60");
    const bar = screen.getByRole("progressbar", { name: "Training progress" });
    expect(bar).toHaveAttribute("aria-valuenow", "20");
    expect(bar).toHaveAttribute("aria-valuemax", "60");
    expect(screen.getByTestId("run:progress-rate")).toHaveTextContent("2 steps/s");
    expect(screen.getByTestId("run:progress-elapsed")).toHaveTextContent("10 s elapsed");
    expect(screen.getByTestId("run:progress-eta")).toHaveTextContent("about 20 s left");
  });

  it("paces itself on the trainer's latest steps/s and tokens/s once it reports them, not on the time since the start", () => {
    tenSecondsIn();
    const { rerender } = render(<RunProgressPanel run={running()} series={series(10, 20)} />);
    expect(screen.queryByTestId("run:progress-tokens")).toBeNull(); // no guess
    expect(screen.getByTestId("run:progress-rate")).toHaveTextContent("2 steps/s"); // 20 steps in 10 s
    const measured = mergeMetrics(series(10, 20), [
      { name: TOKENS_PER_SECOND, step: 19, value: 1500.4 },
      { name: TOKENS_PER_SECOND, step: 20, value: 1612.6 },
      { name: STEPS_PER_SECOND, step: 19, value: 3.5 },
      { name: STEPS_PER_SECOND, step: 20, value: 4 },
    ]);
    rerender(<RunProgressPanel run={running()} series={measured} />);
    expect(screen.getByTestId("run:progress-tokens")).toHaveTextContent("1,613 tokens/s");
    expect(screen.getByTestId("run:progress-rate")).toHaveTextContent("4 steps/s");
    expect(screen.getByTestId("run:progress-rate")).toHaveAttribute("title", "Over its latest steps, as the trainer measures them");
    expect(screen.getByTestId("run:progress-eta")).toHaveTextContent("about 10 s left"); // 40 steps at 4 a second
  });

  it("shows the step alone, with no bar nor ETA, when the total is unknown", () => {
    tenSecondsIn();
    render(<RunProgressPanel run={running({ config: { ...RUN_CONFIG, max_steps: null } })} series={series(10, 20)} />);
    expect(screen.getByTestId("run:progress-step")).toHaveTextContent(/^step 20$/);
    expect(screen.queryByRole("progressbar")).toBeNull();
    expect(screen.queryByTestId("run:progress-eta")).toBeNull();
    expect(screen.getByTestId("run:progress-rate")).toHaveTextContent("2 steps/s");
  });

  it("waits for the first step, and shows nothing while the run is queued", () => {
    tenSecondsIn();
    const { rerender } = render(<RunProgressPanel run={running()} series={EMPTY_SERIES} />);
    expect(screen.getByTestId("run:progress-step")).toHaveTextContent("Waiting for the first step…");
    expect(screen.queryByRole("progressbar")).toBeNull();
    expect(screen.queryByTestId("run:progress-eta")).toBeNull();
    rerender(<RunProgressPanel run={running({ status: "pending", attempt: 0 })} series={EMPTY_SERIES} />);
    expect(screen.queryByTestId("run:progress")).toBeNull();
  });

  it("sums up a finished run from its summary, with no ETA", () => {
    const run = running({ status: "completed", config: { ...RUN_CONFIG, max_steps: 20 }, summary: LOCAL_SUMMARY, duration_seconds: 67.59 });
    render(<RunProgressPanel run={run} series={series(10, 20)} />);
    expect(screen.getByTestId("run:progress-step")).toHaveTextContent("step 20 of 20");
    expect(screen.getByRole("progressbar")).toHaveAttribute("aria-valuenow", "20");
    expect(screen.getByTestId("run:progress-rate")).toHaveTextContent("0.41 steps/s");
    expect(screen.getByTestId("run:progress-elapsed")).toHaveTextContent("59 s elapsed");
    expect(screen.getByTestId("run:progress-tokens")).toHaveTextContent("850 tokens/s"); // the trainer's own
    expect(screen.queryByTestId("run:progress-eta")).toBeNull();
  });
});
