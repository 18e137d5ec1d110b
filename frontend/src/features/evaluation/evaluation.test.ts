import { describe, expect, it } from "vitest";
import { bucketLabel, decodingEntries, evaluationLink, formatInterval, readFacts, scoreText } from "./evaluation";
import { dateBounds, nextSort, rankRows, readLeaderboardQuery, withLeaderboardQuery, type LeaderboardRow } from "./leaderboard";

describe("evaluation: how numbers read", () => {
  it("writes a score with its interval, one decimal each", () => {
    expect(scoreText(0.775, { low: 0.704, high: 0.8341, method: "wilson" })).toBe("77.5% (70.4–83.4)");
    expect(scoreText(1, null)).toBe("100.0%");
    expect(formatInterval({ low: 0, high: 0.088 })).toBe("0.0–8.8");
  });

  it("reads the free-form details, dropping what is malformed", () => {
    const facts = readFacts({
      answered: 4,
      correct: "3",
      majority_baseline: { answer: "player 1", share: 0.5 },
      accuracy_by_reasoning_length: [{ min_tokens: 1, max_tokens: 1, n: 2, accuracy: 0.5 }, { min_tokens: 2 }, null, "x"],
    });
    expect(facts.answered).toBe(4);
    expect(facts.correct).toBeNull();
    expect(facts.majorityBaseline).toEqual({ answer: "player 1", share: 0.5 });
    expect(facts.byReasoningLength).toEqual([{ minTokens: 1, maxTokens: 1, n: 2, accuracy: 0.5 }]);
    expect(readFacts({ majority_baseline: [1] }).majorityBaseline).toBeNull();
    expect(readFacts({}).byReasoningLength).toEqual([]);
  });

  it("labels a bucket by its range of tokens", () => {
    expect(bucketLabel({ minTokens: 5, maxTokens: 5, n: 1, accuracy: 1 })).toBe("5 tokens");
    expect(bucketLabel({ minTokens: 3, maxTokens: 7, n: 1, accuracy: 1 })).toBe("3–7 tokens");
  });

  it("lists the decoding settings that are set", () => {
    expect(decodingEntries({ temperature: 0, top_k: null, prompt_buckets: [128, 256] })).toEqual([
      ["temperature", "0"],
      ["prompt_buckets", "128, 256"],
    ]);
  });

  it("links a run's evaluation to the run's page and a base model's to its own", () => {
    expect(evaluationLink({ evaluationId: "e", runId: "r" })).toBe("/runs/r?evaluation=e#evaluation");
    expect(evaluationLink({ evaluationId: "e", runId: null })).toBe("/evaluations/e");
  });
});

describe("leaderboard: the URL and the order", () => {
  it("round-trips the filters through the URL, keeping other parameters", () => {
    const params = new URLSearchParams("dataset_key=d&model_id=%20m%20&judge=j&date_from=2025-03-01&date_to=2025-13-45&offset=-3&other=1");
    const query = readLeaderboardQuery(params);
    expect(query).toEqual({ datasetKey: "d", modelId: "m", judge: "j", dateFrom: "2025-03-01", dateTo: null, offset: 0 });
    const next = withLeaderboardQuery(params, { ...query, judge: null, offset: 50 });
    expect(next.get("judge")).toBeNull();
    expect(next.get("offset")).toBe("50");
    expect(next.get("other")).toBe("1");
    expect(next.get("date_to")).toBeNull();
  });

  it("sends whole days in the browser's time zone", () => {
    expect(dateBounds({ dateFrom: null, dateTo: null })).toEqual({});
    expect(dateBounds({ dateFrom: "2025-03-01", dateTo: null }).date_from).toBe(new Date(2025, 2, 1).toISOString());
  });

  it("sorts a column best, most or newest first, then the other way", () => {
    expect(nextSort({ key: "rank", descending: false }, "score")).toEqual({ key: "score", descending: true });
    expect(nextSort({ key: "score", descending: true }, "score")).toEqual({ key: "score", descending: false });
    expect(nextSort({ key: "score", descending: true }, "rank")).toEqual({ key: "rank", descending: false });
    const rows = [{ primary_score: 0.5, n_scored: 3, created_at: "2025-03-01T00:00:00Z" }, { primary_score: 0.5, n_scored: 1, created_at: "2025-03-02T00:00:00Z" }] as LeaderboardRow[];
    // Ties keep the server's rank.
    expect(rankRows(rows, 10, { key: "score", descending: true }).map((r) => r.rank)).toEqual([11, 12]);
    expect(rankRows(rows, 10, { key: "rank", descending: true }).map((r) => r.rank)).toEqual([12, 11]);
  });
});
