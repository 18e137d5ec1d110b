import { describe, expect, it } from "vitest";
import { ApiError } from "../../api/errors";
import { BATCH_MAX_ITEMS, batchErrors, batchesOf, parseTraceFile } from "./traceFiles";

const trace = (n: number) => ({ trace_version: "1.0", prompt: `q${n}`, final_answer: "a", steps: [] });

describe("trace files", () => {
  it("reads a JSON file of one trace", () => {
    const file = parseTraceFile("one.json", JSON.stringify(trace(1)));
    expect(file).toEqual({ name: "one.json", traces: [{ trace: trace(1), where: "" }], problems: [] });
  });

  it("reads a JSON list, placing each item", () => {
    const file = parseTraceFile("many.JSON", JSON.stringify([trace(1), 7, trace(3)]));
    expect(file.traces).toEqual([
      { trace: trace(1), where: "item 1" },
      { trace: trace(3), where: "item 3" },
    ]);
    expect(file.problems).toEqual(["item 2: a number, not a trace (a JSON object)"]);
  });

  it("reads JSONL a line at a time, skipping blank lines and naming bad ones", () => {
    const text = [JSON.stringify(trace(1)), "", "{oops", "[1]", JSON.stringify(trace(5)), ""].join("\r\n");
    const file = parseTraceFile("t.jsonl", text);
    expect(file.traces.map((t) => t.where)).toEqual(["line 1", "line 5"]);
    expect(file.problems).toHaveLength(2);
    expect(file.problems[0]).toMatch(/^line 3: not JSON \(.+\)$/);
    expect(file.problems[1]).toBe("line 4: a list, not a trace (a JSON object)");
  });

  it("reads a file of another name as JSON, else as JSON lines", () => {
    expect(parseTraceFile("t.txt", JSON.stringify([trace(1)])).traces).toHaveLength(1);
    const lines = parseTraceFile("t.txt", `${JSON.stringify(trace(1))}\n${JSON.stringify(trace(2))}`);
    expect(lines.traces.map((t) => t.where)).toEqual(["line 1", "line 2"]);
  });

  it("says what is wrong with a file that holds no trace", () => {
    expect(parseTraceFile("e.jsonl", "\n\n").problems).toEqual(["the file holds no traces"]);
    expect(parseTraceFile("s.json", '"text"').problems).toEqual([
      "the file holds a string, not a trace or a list of traces",
    ]);
    expect(parseTraceFile("b.json", "{").problems[0]).toMatch(/^not JSON/);
  });

  it("splits a file into batches the server takes", () => {
    const items = Array.from({ length: BATCH_MAX_ITEMS * 2 + 1 }, (_, n) => ({ trace: trace(n), where: "" }));
    expect(batchesOf(items).map((b) => b.length)).toEqual([BATCH_MAX_ITEMS, BATCH_MAX_ITEMS, 1]);
    expect(batchesOf([])).toEqual([]);
  });

  it("places a refused batch's field errors at their lines", () => {
    const batch = [
      { trace: trace(1), where: "line 4" },
      { trace: trace(2), where: "line 9" },
    ];
    const error = new ApiError(422, "ValidationError", [
      { loc: ["body", 1, "steps"], msg: "List should have at least 1 item after validation", type: "too_short" },
      { loc: ["body", 0], msg: "trace exceeds TRACE_MAX_BYTES (1024 bytes)", type: "too_large" },
      { loc: ["body"], msg: "batch holds 2 traces; at most 1 allowed", type: "too_long" },
    ]);
    expect(batchErrors(error, batch)).toEqual([
      "line 9: steps: List should have at least 1 item after validation",
      "line 4: trace exceeds TRACE_MAX_BYTES (1024 bytes)",
      "batch holds 2 traces; at most 1 allowed",
    ]);
    expect(batchErrors(new ApiError(413, "PayloadTooLarge", "Body over 32 MiB"), batch)).toEqual([
      "PayloadTooLarge: Body over 32 MiB",
    ]);
  });
});
