import { describe, expect, it } from "vitest";
import { manyGenerations, RUN_ID, runGenerations } from "../../test/runs";
import { checkpointName, scoreLine } from "./runOutput";

describe("scoreLine", () => {
  it("counts and rates the same answers, all of them, from the server's numbers", () => {
    expect(scoreLine(manyGenerations(100, 77))).toBe("77 of 100 correct (77%)");
    expect(scoreLine(manyGenerations(3, 2))).toBe("2 of 3 correct (66.7%)");
    expect(scoreLine(manyGenerations(1, 0))).toBe("0 of 1 correct (0%)");
  });

  it("rates only the scored answers, and says how many were not", () => {
    const answers = runGenerations([
      { prompt: "a", expected: "1", output: "1", correct: true },
      { prompt: "b", expected: null, output: "", correct: null },
      { prompt: "c", expected: "3", output: "4", correct: false },
      { prompt: "d", expected: "4", output: "4", correct: true },
    ]);
    expect(scoreLine(answers)).toBe("2 of 3 scored correct (66.7%); 1 not scored");
  });

  it("says when none was scored, and nothing when none was answered", () => {
    const unscored = runGenerations([{ prompt: "a", expected: null, output: "x", correct: null }]);
    expect(scoreLine(unscored)).toBe("1 answered, none scored");
    expect(scoreLine({ run_id: RUN_ID, generations: [], total: 0, correct: 0, exact_match: null })).toBeNull();
  });
});

describe("checkpointName", () => {
  it("names the checkpoint of a step among the run's artifacts", () => {
    expect(checkpointName(20)).toBe("checkpoints/20");
  });
});
