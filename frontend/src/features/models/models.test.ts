import { describe, expect, it } from "vitest";
import { ApiError } from "../../api/errors";
import { version } from "../../test/models";
import { failReport } from "../../test/regression";
import {
  aliasNameProblem,
  isGateRefused,
  readProvenance,
  toAliasRequest,
  versionFinalLoss,
  versionScore,
  withGateReport,
  type ModelVersion,
} from "./models";

const asVersion = (overrides: Record<string, unknown> = {}) => version(overrides) as unknown as ModelVersion;

describe("a version's figures", () => {
  it("scores it by its newest evaluation by a real judge, skipping mock ones", () => {
    expect(versionScore(asVersion())).toMatchObject({ primaryScore: 0.7, judge: "exact_match", split: "eval" });
  });

  it("has no score without a real judge's evaluation, or with metrics it cannot read", () => {
    expect(versionScore(asVersion({ metrics: { evaluations: [{ mock: true, primary_score: 1 }] } }))).toBeNull();
    expect(versionScore(asVersion({ metrics: { evaluations: "?" } }))).toBeNull();
    expect(versionScore(asVersion({ metrics: {} }))).toBeNull();
    expect(versionFinalLoss(asVersion({ metrics: { training: { final_loss: null } } }))).toBeNull();
  });

  it("reads its provenance, numbers as text and library versions as pairs", () => {
    const provenance = readProvenance(version().provenance);
    expect(provenance).toMatchObject({ seed: "7", checkpointStep: "30", method: "full", baseModel: "tunix-rt/tiny-gemma3" });
    expect(provenance.versions).toEqual([
      ["jax", "0.10.2"],
      ["tunix", "0.1.7"],
    ]);
    expect(readProvenance({}).versions).toEqual([]);
  });
});

describe("aliases", () => {
  it.each([
    ["staging", null],
    ["", null],
    ["latest", '"latest" is reserved: it always means the newest version.'],
    ["Prod", "Lower-case letters, digits, _ and -, starting with a letter."],
    ["1st", "Lower-case letters, digits, _ and -, starting with a letter."],
    ["a/b", "Lower-case letters, digits, _ and -, starting with a letter."],
  ])("%j: %s", (name, problem) => {
    expect(aliasNameProblem(name)).toBe(problem);
  });

  it("sends the baseline only for a protected alias, and no empty reason", () => {
    const values = { alias: "prod", versionId: "id", baseline: "gemma-v1", reason: "  " };
    expect(toAliasRequest(values, false)).toEqual({ version_id: "id" });
    expect(toAliasRequest({ ...values, reason: " why " }, true)).toEqual({ version_id: "id", baseline_name: "gemma-v1", reason: "why" });
  });

  it("keeps a refused gate's report with its error", () => {
    const refused = new ApiError(409, "GateRefused", "prod did not move");
    const error = withGateReport(refused, { error: "GateRefused", detail: "prod did not move", check: failReport() });
    expect(isGateRefused(error)).toBe(true);
    expect(isGateRefused(error) && error.check.verdict).toBe("fail");
    expect(error).toBeInstanceOf(ApiError);
    // Any other error, or a body without a report, stays as it was.
    expect(withGateReport(refused, { error: "GateRefused" })).toBe(refused);
    const other = new ApiError(409, "NothingToRollBackTo", "no");
    expect(withGateReport(other, { check: failReport() })).toBe(other);
  });
});
