import { describe, expect, it } from "vitest";
import { ApiError } from "../../api/errors";
import { newRunLabels, parseTags, placeRunErrors, toLabelsUpdate } from "./labels";
import { nextSort, stepsText } from "./runColumns";

describe("run labels", () => {
  it("splits tags on commas and spaces, dropping repeats", () => {
    expect(parseTags(" a, b  c,a,, ")).toEqual(["a", "b", "c"]);
    expect(parseTags("   ")).toEqual([]);
  });

  it("clears a blank name or notes, and keeps the notes as typed otherwise", () => {
    expect(toLabelsUpdate({ name: "  ", notes: " \n ", tags: "" })).toEqual({ name: null, notes: null, tags: [] });
    expect(toLabelsUpdate({ name: " x ", notes: " keep\n", tags: "t" })).toEqual({ name: "x", notes: " keep\n", tags: ["t"] });
  });

  it("gives a new run only the labels filled in", () => {
    expect(newRunLabels({ name: " ", tags: "" })).toEqual({});
    expect(newRunLabels({ name: "n", tags: "a b" })).toEqual({ name: "n", tags: ["a", "b"] });
  });

  it("places a tag's error at the tag input, naming the tag; others where they point", () => {
    const error = new ApiError(422, "ValidationError", [
      { loc: ["body", "tags", 1], msg: "bad", type: "x" },
      { loc: ["body", "tags"], msg: "too many", type: "x" },
      { loc: ["body", "other"], msg: "?", type: "x" },
    ]);
    const placed = placeRunErrors(error, ["name", "tags"], ["ok", "a/b"]);
    expect(placed.at("tags").map((e) => e.msg)).toEqual(["Tag “a/b”: bad", "too many"]);
    expect(placed.unplaced.map((e) => e.msg)).toEqual(["?"]);
    expect(placed.total).toBe(3);
  });
});

describe("run columns", () => {
  it("sorts best first, then the reverse, then not at all", () => {
    expect(nextSort(null, "finalLoss")).toEqual({ key: "finalLoss", descending: false });
    expect(nextSort({ key: "finalLoss", descending: false }, "finalLoss")).toEqual({ key: "finalLoss", descending: true });
    expect(nextSort({ key: "finalLoss", descending: true }, "finalLoss")).toBeNull();
    expect(nextSort({ key: "finalLoss", descending: true }, "exactMatch")).toEqual({ key: "exactMatch", descending: true });
  });

  it("writes steps of the most configured", () => {
    expect(stepsText({ steps: 20, max_steps: 300 })).toBe("20 / 300");
    expect(stepsText({ steps: null, max_steps: 300 })).toBe("— / 300");
    expect(stepsText({ steps: 40, max_steps: null })).toBe("40");
    expect(stepsText({ steps: null, max_steps: null })).toBeNull();
  });

  it("writes a running run's latest step until its summary has the steps trained", () => {
    const progress = { step: 120, points: 120, elapsed_seconds: 60, steps_per_second: null, tokens_per_second: null };
    expect(stepsText({ steps: null, max_steps: 300, progress })).toBe("120 / 300");
    expect(stepsText({ steps: null, max_steps: 300, progress: { ...progress, step: null } })).toBe("— / 300");
    expect(stepsText({ steps: 300, max_steps: 300, progress: null })).toBe("300 / 300");
  });
});
