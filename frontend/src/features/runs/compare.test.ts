import { describe, expect, it } from "vitest";
import { runId } from "../../test/runs";
import { comparePath, configDiff, MAX_COMPARE, readCompareIds, toggleSelection } from "./compare";

describe("compare", () => {
  it("selects at most four runs, and unselects", () => {
    let selected: string[] = [];
    for (const n of [1, 2, 3, 4, 5]) selected = toggleSelection(selected, runId(n));
    expect(selected).toEqual([1, 2, 3, 4].map(runId));
    expect(MAX_COMPARE).toBe(4);
    selected = toggleSelection(selected, runId(2));
    expect(selected).toEqual([1, 3, 4].map(runId));
    expect(toggleSelection(selected, runId(5))).toEqual([1, 3, 4, 5].map(runId));
  });

  it("puts the ids in the URL and reads them back: distinct, at most four", () => {
    const path = comparePath([runId(1), runId(2)]);
    expect(path).toBe(`/runs/compare?ids=${runId(1)},${runId(2)}`);
    const params = new URL(path, "http://x").searchParams;
    expect(readCompareIds(params)).toEqual([runId(1), runId(2)]);
    const many = new URLSearchParams({ ids: ` a, b,,a,c,d,e` });
    expect(readCompareIds(many)).toEqual(["a", "b", "c", "d"]);
    expect(readCompareIds(new URLSearchParams())).toEqual([]);
  });

  it("lists only the keys whose values differ, and counts the equal ones", () => {
    const base = { dataset_key: "duels-v1", model_id: "m", dry_run: true, learning_rate: 0.01, batch_size: 8, seed: 0 };
    const diff = configDiff([
      { run_id: runId(1), config: { ...base, output_dir: `runs/${runId(1)}` } },
      { run_id: runId(2), config: { ...base, learning_rate: 0.003, output_dir: `runs/${runId(2)}` } },
      { run_id: runId(3), config: { ...base, batch_size: 16, seed: 0, output_dir: "mine", extra: { a: 1 } } },
    ]);
    expect(diff.differing).toEqual([
      { key: "learning_rate", values: ["0.01", "0.003", "0.01"] },
      { key: "batch_size", values: ["8", "8", "16"] },
      { key: "output_dir", values: ["runs/<run id>", "runs/<run id>", "mine"] },
      { key: "extra.a", values: ["—", "—", "1"] },
    ]);
    expect(diff.equal).toBe(4);
  });

  it("finds nothing to show for identical configs (each run's own default output dir counts as the same)", () => {
    const config = (n: number) => ({ run_id: runId(n), config: { learning_rate: 0.01, output_dir: `runs/${runId(n)}` } });
    expect(configDiff([config(1), config(2)])).toEqual({ differing: [], equal: 2 });
  });
});
