import { describe, expect, it } from "vitest";
import { appendLines, chunkLines, describeMetric, EMPTY_LOG, MAX_LOG_LINES, readLineEvent } from "./logLines";

describe("log lines", () => {
  it("splits a chunk into its lines, each keyed by seq and position", () => {
    const lines = chunkLines(7, "stdout", 'plain text\r\n{"event":"log","message":"hello"}\nlast without newline');
    expect(lines.map((line) => [line.key, line.text])).toEqual([
      ["7:0", "plain text"],
      ["7:1", '{"event":"log","message":"hello"}'],
      ["7:2", "last without newline"],
    ]);
    expect(chunkLines(8, "stdout", "one\n")).toHaveLength(1);
    expect(chunkLines(9, "stdout", "\n")).toEqual([{ key: "9:0", seq: 9, stream: "stdout", text: "", event: null }]);
  });

  it("reads the training process's events, and leaves other lines as text", () => {
    expect(readLineEvent('{"event":"metric","step":12,"name":"train/loss","value":3.2}')).toEqual({
      kind: "metric",
      name: "train/loss",
      step: 12,
      value: 3.2,
    });
    expect(readLineEvent('{"event":"log","message":"model loaded"}')).toEqual({ kind: "log", message: "model loaded" });
    expect(readLineEvent('{"event":"checkpoint","step":20,"path":"/x/20"}')).toEqual({ kind: "checkpoint", step: 20, path: "/x/20" });
    expect(readLineEvent('{"event":"generation","expected":"11","output":"Answer: 11","correct":true}')).toEqual({
      kind: "generation",
      expected: "11",
      output: "Answer: 11",
      correct: true,
    });
    expect(readLineEvent('{"event":"done","status":"completed","summary":{}}')).toEqual({ kind: "done", status: "completed" });
    expect(readLineEvent('{"event":"custom"}')).toEqual({ kind: "other", name: "custom" });
    for (const text of ["[ok] dataset: duels-v1", "{not json", "[1, 2]", '{"no_event": 1}', "W0301 warning"]) {
      expect(readLineEvent(text)).toBeNull();
    }
  });

  it("never reads stderr as events", () => {
    expect(chunkLines(1, "stderr", '{"event":"log","message":"x"}\n')[0]!.event).toBeNull();
  });

  it("describes a metric line briefly", () => {
    expect(describeMetric({ kind: "metric", name: "train/loss", step: 12, value: 3.2123456 })).toBe("step 12 · train/loss = 3.2123");
    expect(describeMetric({ kind: "metric", name: "x", step: null, value: null })).toBe("x = —");
  });

  it("keeps the newest lines only, counting all and the metric lines kept", () => {
    const metric = (seq: number) => chunkLines(seq, "stdout", `{"event":"metric","step":${seq},"name":"train/loss","value":1}\n`);
    const text = (seq: number) => chunkLines(seq, "stdout", `line ${seq}\n`);
    let buffer = appendLines(EMPTY_LOG, [...metric(1), ...text(2), ...metric(3)], 4);
    expect(buffer).toMatchObject({ total: 3, metricLines: 2 });
    buffer = appendLines(buffer, [...text(4), ...text(5), ...text(6)], 4);
    expect(buffer.lines.map((line) => line.seq)).toEqual([3, 4, 5, 6]);
    expect(buffer).toMatchObject({ total: 6, metricLines: 1 });
    expect(appendLines(buffer, [])).toBe(buffer);
    expect(MAX_LOG_LINES).toBe(5000);
  });
});
