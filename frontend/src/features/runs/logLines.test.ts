import { describe, expect, it } from "vitest";
import { checkpointLine, chunkOf, doneLine, generationLine, logLine, metricLine, plainEvents, type ChunkLine } from "../../test/logChunks";
import { appendLines, chunkLines, describeMetric, EMPTY_LOG, MAX_LOG_LINES, toLineEvent } from "./logLines";

/** A chunk's lines as the server sends them: text and the server's reading of each line. */
const lines = (seq: number, ...chunk: ChunkLine[]) => {
  const { text, events } = chunkOf(chunk);
  return chunkLines(seq, "stdout", text, events);
};

describe("log lines", () => {
  it("splits a chunk into its lines, each keyed by seq and position", () => {
    const text = 'plain text\r\n{"event":"log","message":"hello"}\nlast without newline';
    const chunk = chunkLines(7, "stdout", text, [null, { kind: "log", message: "hello" }, null]);
    expect(chunk.map((line) => [line.key, line.text, line.event])).toEqual([
      ["7:0", "plain text", null],
      ["7:1", '{"event":"log","message":"hello"}', { kind: "log", message: "hello" }],
      ["7:2", "last without newline", null],
    ]);
    expect(chunkLines(8, "stdout", "one\n", [null])).toHaveLength(1);
    expect(chunkLines(9, "stdout", "\n", [null])).toEqual([{ key: "9:0", seq: 9, stream: "stdout", text: "", event: null }]);
    // The rule the server counts lines by: one entry a line.
    expect(plainEvents(text)).toHaveLength(3);
    expect(plainEvents("one\n")).toHaveLength(1);
    expect(plainEvents("")).toHaveLength(0);
  });

  it("shows each line as the server read it", () => {
    const chunk = lines(
      1,
      metricLine(12, "train/loss", 3.2),
      logLine("model loaded"),
      checkpointLine(20, "/x/20"),
      generationLine({ expected: "11", output: "Answer: 11", correct: true }),
      generationLine({ expected: null, output: "", correct: null }),
      doneLine("completed"),
      "[ok] dataset: duels-v1",
    );
    expect(chunk.map((line) => line.event)).toEqual([
      { kind: "metric", name: "train/loss", step: 12, value: 3.2 },
      { kind: "log", message: "model loaded" },
      { kind: "checkpoint", step: 20, path: "/x/20" },
      { kind: "generation", expected: "11", output: "Answer: 11", correct: true },
      { kind: "generation", expected: null, output: "", correct: null },
      { kind: "done", status: "completed" },
      null,
    ]);
    // The line as the trainer wrote it stays at hand.
    expect(chunk[0]!.text).toBe('{"event":"metric","time":1,"step":12,"name":"train/loss","value":3.2}');
  });

  it("reads nothing from a line itself: a JSON event line the server sent no reading for is plain text", () => {
    const text = '{"event":"metric","step":1,"name":"train/loss","value":3.2}\n{"event":"log","message":"x"}\n';
    expect(chunkLines(1, "stdout", text, [null, null]).map((line) => line.event)).toEqual([null, null]);
    // A server that sends no readings (an older one): every line plain.
    expect(chunkLines(2, "stdout", text, []).map((line) => [line.text, line.event])).toEqual([
      ['{"event":"metric","step":1,"name":"train/loss","value":3.2}', null],
      ['{"event":"log","message":"x"}', null],
    ]);
    expect(chunkLines(3, "stderr", '{"event":"log","message":"x"}\n', [null])[0]!.event).toBeNull();
  });

  it("counts a missing entry as a plain line, and ignores one past the last line", () => {
    const log = { kind: "log", message: "a" };
    expect(chunkLines(1, "stdout", "a\nb\n", [log]).map((line) => line.event)).toEqual([{ kind: "log", message: "a" }, null]);
    expect(chunkLines(2, "stdout", "a\n", [log, log])).toHaveLength(1);
  });

  it("shows an unknown kind as plain text, and a malformed field as best it can", () => {
    expect(toLineEvent({ kind: "custom", what: 1 })).toBeNull();
    expect(toLineEvent(null)).toBeNull();
    expect(toLineEvent(undefined)).toBeNull();
    expect(toLineEvent({ kind: "metric", name: "x", step: "1", value: "nan" })).toEqual({ kind: "metric", name: "x", step: null, value: null });
    expect(toLineEvent({ kind: "generation", expected: 11, output: "a", correct: "yes" })).toEqual({
      kind: "generation",
      expected: null,
      output: "a",
      correct: null,
    });
  });

  it("describes a metric line briefly", () => {
    expect(describeMetric({ kind: "metric", name: "train/loss", step: 12, value: 3.2123456 })).toBe("step 12 · train/loss = 3.2123");
    expect(describeMetric({ kind: "metric", name: "x", step: null, value: null })).toBe("x = —");
  });

  it("keeps the newest lines only, counting all and the metric lines kept", () => {
    const metric = (seq: number) => lines(seq, metricLine(seq, "train/loss", 1));
    const text = (seq: number) => lines(seq, `line ${seq}`);
    let buffer = appendLines(EMPTY_LOG, [...metric(1), ...text(2), ...metric(3)], 4);
    expect(buffer).toMatchObject({ total: 3, metricLines: 2 });
    buffer = appendLines(buffer, [...text(4), ...text(5), ...text(6)], 4);
    expect(buffer.lines.map((line) => line.seq)).toEqual([3, 4, 5, 6]);
    expect(buffer).toMatchObject({ total: 6, metricLines: 1 });
    expect(appendLines(buffer, [])).toBe(buffer);
    expect(MAX_LOG_LINES).toBe(5000);
  });
});
