import { fireEvent, render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { checkpointLine, chunkOf, doneLine, generationLine, logLine, metricLine, type ChunkLine } from "../../test/logChunks";
import { appendLines, chunkLines, EMPTY_LOG, MAX_LOG_LINES, type LogBuffer } from "./logLines";
import { LogViewer } from "./LogViewer";
import type { StreamConnection } from "./runStream";

const METRIC = (step: number) => metricLine(step, "train/loss", 5 - step / 10);

/** A chunk's lines as the server sends them: its text, and the server's reading of each line. */
function lines(seq: number, stream: "stdout" | "stderr", chunk: ChunkLine[]) {
  const { text, events } = chunkOf(chunk);
  return chunkLines(seq, stream, text, events);
}

function buffer(...chunks: [number, "stdout" | "stderr", ChunkLine[]][]): LogBuffer {
  return chunks.reduce((log, [seq, stream, chunk]) => appendLines(log, lines(seq, stream, chunk)), EMPTY_LOG);
}

type Props = { log: LogBuffer; connection?: StreamConnection; ended?: { status: "completed" | null } | null; error?: unknown };

function renderViewer({ log, connection = "open", ended = null, error = null }: Props) {
  const view = render(<LogViewer log={log} connection={connection} ended={ended} error={error} />);
  const rerender = (next: Props) =>
    view.rerender(<LogViewer log={next.log} connection={next.connection ?? "open"} ended={next.ended ?? null} error={next.error ?? null} />);
  return { ...view, rerender, user: userEvent.setup() };
}

/** jsdom lays nothing out: give the log view a height, a content height and a scroll position. */
function layOut(element: HTMLElement, { scrollHeight, clientHeight }: { scrollHeight: number; clientHeight: number }) {
  let top = 0;
  Object.defineProperty(element, "scrollHeight", { configurable: true, get: () => scrollHeight });
  Object.defineProperty(element, "clientHeight", { configurable: true, get: () => clientHeight });
  Object.defineProperty(element, "scrollTop", { configurable: true, get: () => top, set: (value: number) => (top = value) });
  return {
    scrollTo(value: number) {
      top = value;
      fireEvent.scroll(element);
    },
    get top() {
      return top;
    },
  };
}

const visibleTexts = () => screen.queryAllByTestId("run:log-line").map((line) => line.textContent);

describe("log viewer", () => {
  it("shows log messages as text, checkpoints and the end readably, and marks stderr lines", () => {
    const log = buffer(
      [1, "stdout", [logLine("model tunix-rt/tiny-gemma3 (full)"), "[ok] a plain line"]],
      [2, "stderr", ["W0301 warning from XLA"]],
      [3, "stdout", [METRIC(1), checkpointLine(20, "/runs/x/checkpoints/20")]],
      [4, "stdout", [generationLine({ expected: "11", output: "Answer: 11<end_of_turn>", correct: true }), doneLine("completed")]],
      [5, "stdout", [generationLine({ expected: "7", output: "Answer: 8", correct: false })]],
    );
    renderViewer({ log, connection: "ended", ended: { status: "completed" } });

    expect(visibleTexts()).toEqual([
      "model tunix-rt/tiny-gemma3 (full)",
      "[ok] a plain line",
      "stderrW0301 warning from XLA",
      "checkpoint step 20 saved /runs/x/checkpoints/20",
      'generation expected 11, answered "Answer: 11" ✓',
      "done completed",
      'generation expected 7, answered "Answer: 8" ✗',
    ]);
    expect(screen.getAllByTestId("run:log-line").map((line) => line.dataset.kind)).toEqual([
      "log",
      "text",
      "text",
      "checkpoint",
      "generation",
      "done",
      "generation",
    ]);
    const stderr = screen.getAllByTestId("run:log-line")[2]!;
    expect(stderr).toHaveAttribute("data-stream", "stderr");
    expect(stderr).toHaveClass("stderr");
    // The raw event stays at hand.
    expect(screen.getAllByTestId("run:log-line")[0]).toHaveAttribute("title", expect.stringContaining('"event":"log"'));
    expect(screen.getByTestId("run:log-ended")).toHaveTextContent("— stream ended (completed) —");
    expect(screen.getByTestId("run:log-state")).toHaveTextContent("stream ended");
  });

  it("shows a JSON-looking line the server sent no reading for as it came: the browser parses nothing", () => {
    const raw = '{"event":"metric","time":1,"step":1,"name":"train/loss","value":4.9}';
    const log = appendLines(EMPTY_LOG, chunkLines(1, "stdout", `${raw}\n{"event":"log","message":"hi"}\n`, [null, null]));
    renderViewer({ log });
    expect(visibleTexts()).toEqual([raw, '{"event":"log","message":"hi"}']);
    expect(screen.getAllByTestId("run:log-line")[0]).toHaveAttribute("data-kind", "text");
    expect(screen.getAllByTestId("run:log-line")[0]).not.toHaveAttribute("title");
    // Not a metric line: nothing hidden, no toggle.
    expect(screen.queryByTestId("run:log-show-metrics")).not.toBeInTheDocument();
  });

  it("hides metric lines until asked for, and counts them", async () => {
    const log = buffer([1, "stdout", [METRIC(1), METRIC(2), "plain"]]);
    const { user } = renderViewer({ log });
    expect(visibleTexts()).toEqual(["plain"]);
    const toggle = screen.getByTestId("run:log-show-metrics");
    expect(toggle.closest("label")).toHaveTextContent("Show metric lines (2, charted above)");

    await user.click(toggle);
    expect(visibleTexts()).toEqual(["step 1 · train/loss = 4.9", "step 2 · train/loss = 4.8", "plain"]);
  });

  it("follows new lines, pauses when scrolled up (holding what it shows), and jumps back to the latest", async () => {
    let log = buffer([1, "stdout", ["one", "two"]]);
    const { rerender, user } = renderViewer({ log });
    const view = screen.getByTestId("run:log-view");
    const geometry = layOut(view, { scrollHeight: 1000, clientHeight: 200 });

    // Following: each update scrolls to the bottom.
    log = appendLines(log, lines(2, "stdout", ["three"]));
    rerender({ log });
    expect(geometry.top).toBe(1000);
    expect(view).toHaveAttribute("data-following", "true");
    expect(screen.getByTestId("run:log-following")).toHaveTextContent("Following new output");

    // Scrolled up: paused; new lines are counted, not drawn, and the position holds.
    geometry.scrollTo(300);
    expect(view).toHaveAttribute("data-following", "false");
    log = appendLines(log, lines(3, "stdout", ["four", "five"]));
    rerender({ log });
    expect(geometry.top).toBe(300);
    expect(visibleTexts()).toEqual(["one", "two", "three"]);
    expect(screen.getByTestId("run:log-jump")).toHaveTextContent("Jump to latest (2 new lines)");
    expect(screen.queryByTestId("run:log-following")).not.toBeInTheDocument();

    await user.click(screen.getByTestId("run:log-jump"));
    expect(view).toHaveAttribute("data-following", "true");
    expect(visibleTexts()).toEqual(["one", "two", "three", "four", "five"]);
    expect(geometry.top).toBe(1000);
  });

  it("resumes following when scrolled back to the bottom", () => {
    let log = buffer([1, "stdout", ["one"]]);
    const { rerender } = renderViewer({ log });
    const view = screen.getByTestId("run:log-view");
    const geometry = layOut(view, { scrollHeight: 1000, clientHeight: 200 });

    geometry.scrollTo(100);
    expect(view).toHaveAttribute("data-following", "false");
    log = appendLines(log, lines(2, "stdout", ["two"]));
    rerender({ log });
    expect(screen.getByTestId("run:log-jump")).toHaveTextContent("Jump to latest (1 new line)");

    geometry.scrollTo(795); // within a few pixels of the bottom
    expect(view).toHaveAttribute("data-following", "true");
    expect(visibleTexts()).toEqual(["one", "two"]);
  });

  it("keeps a scroll up whose scroll event had not come before new lines did", () => {
    let log = buffer([1, "stdout", ["one"]]);
    const { rerender } = renderViewer({ log });
    const view = screen.getByTestId("run:log-view");
    const geometry = layOut(view, { scrollHeight: 1000, clientHeight: 200 });
    log = appendLines(log, lines(2, "stdout", ["two"]));
    rerender({ log });
    expect(geometry.top).toBe(1000);

    view.scrollTop = 0; // the reader's scroll, its event still queued
    log = appendLines(log, lines(3, "stdout", ["three"]));
    rerender({ log });
    expect(geometry.top).toBe(0);
    fireEvent.scroll(view); // the event comes
    expect(geometry.top).toBe(0);
    expect(view).toHaveAttribute("data-following", "false");
    expect(screen.getByTestId("run:log-jump")).toHaveTextContent("Jump to latest");
  });

  it("says it keeps only the newest lines once a run printed more", () => {
    const many = Array.from({ length: MAX_LOG_LINES + 250 }, (_, i) => `line ${i}`);
    renderViewer({ log: buffer([1, "stdout", many]) });
    expect(screen.getAllByTestId("run:log-line")).toHaveLength(MAX_LOG_LINES);
    expect(screen.getByTestId("run:log-dropped")).toHaveTextContent("Showing the last 5,000 of 5,250 lines.");
    expect(screen.getAllByTestId("run:log-line")[0]).toHaveTextContent("line 250");
  });

  it("says when it waits, reconnects, or the stream is unavailable", () => {
    const { rerender } = renderViewer({ log: EMPTY_LOG, connection: "connecting" });
    expect(screen.getByTestId("run:log-view")).toHaveTextContent("Waiting for output…");
    expect(screen.getByTestId("run:log-state")).toHaveTextContent("connecting…");

    // No metric lines (a dry run): no toggle for them.
    expect(screen.queryByTestId("run:log-show-metrics")).not.toBeInTheDocument();
    rerender({ log: EMPTY_LOG, connection: "reconnecting" });
    expect(screen.getByTestId("run:log-state")).toHaveAttribute("data-connection", "reconnecting");
    expect(screen.getByTestId("run:log-state")).toHaveTextContent("reconnecting…");

    rerender({ log: EMPTY_LOG, connection: "failed", error: new Error("boom") });
    const logs = screen.getByTestId("run:logs");
    expect(within(logs).getByTestId("sys:error")).toHaveTextContent("The live log is unavailable: boom");
    expect(screen.getByTestId("run:log-view")).toHaveTextContent("No output.");
  });
});
