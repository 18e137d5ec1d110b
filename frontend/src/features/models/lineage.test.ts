import { describe, expect, it } from "vitest";
import { asRunState, asVerdict, datasetDrift, runSettings } from "./lineage";

describe("lineage", () => {
  it("compares the dataset trained on with the one stored now", () => {
    expect(datasetDrift({ key: "d-v1", sha256: "a", sha256_now: "a" })).toBe("same");
    expect(datasetDrift({ key: "d-v1", sha256: "a", sha256_now: "b" })).toBe("changed");
    expect(datasetDrift({ key: "d-v1", sha256: "a", sha256_now: null })).toBe("deleted");
    // Nothing recorded to compare with.
    expect(datasetDrift({ key: "d-v1", sha256: null, sha256_now: "b" })).toBe("unknown");
    expect(datasetDrift({ key: "", sha256: null, sha256_now: null })).toBe("unknown");
  });

  it("reads a few of the run's settings, leaving out what is missing", () => {
    expect(runSettings({ max_steps: 30, learning_rate: 0.005, batch_size: 8 })).toBe("30 steps · lr 0.005 · batch 8");
    expect(runSettings({ max_steps: 30, learning_rate: "fast" })).toBe("30 steps");
    expect(runSettings({})).toBeNull();
  });

  it("knows the badges' words only", () => {
    expect(asRunState("completed")).toBe("completed");
    expect(asRunState("exploded")).toBeNull();
    expect(asVerdict("inconclusive")).toBe("inconclusive");
    expect(asVerdict("maybe")).toBeNull();
  });
});
