// The model registry's pure parts: its types, what a version's stored metrics and
// provenance say, the alias rules the form checks, a refused gate's error, and the routes.

import type { Schemas } from "../../api/client";
import { ApiError, isApiError } from "../../api/errors";
import type { CheckReport } from "../regression/regression";

export type Model = Schemas["Model"];
export type ModelVersion = Schemas["ModelVersion"];
export type Alias = Schemas["Alias"];
export type AliasEvent = Schemas["AliasEvent"];
export type AliasMove = Schemas["AliasMove"];
export type AliasAction = AliasEvent["action"];
export type VersionRef = Schemas["VersionRef"];
export type AliasRequest = Schemas["AliasRequest"];
export type PromoteRequest = Schemas["PromoteRequest"];
/** The generated type lists `task_type` as required (it has a server default). */
export type ModelCreateBody = Pick<Schemas["ModelCreate"], "name" | "description">;

/** Rows a page of the model list, the versions and an alias's history hold. */
export const MODEL_PAGE_SIZE = 50;
/** The register panel offers this many models (the API's largest page). */
export const MODEL_CHOICE_LIMIT = 100;
/** The move form offers these; the API's largest page. */
export const VERSION_PAGE_SIZE = 100;
export const ALIAS_HISTORY_PAGE_SIZE = 20;

/** The UI route of a model. */
export function modelPath(modelId: string): string {
  return `/models/${encodeURIComponent(modelId)}`;
}

/** The API path of a version's archive: a plain link downloads it (the server names the file). */
export function versionDownloadPath(versionId: string): string {
  return `/api/models/versions/${encodeURIComponent(versionId)}/download`;
}

/** The first 12 hex digits: enough to tell archives apart in a table. */
export function shortSha(sha256: string): string {
  return sha256.slice(0, 12);
}

// --- a version's metrics and provenance (free-form JSON as stored at promotion) --------

type JsonRecord = Record<string, unknown>;

function recordAt(value: unknown, key: string): JsonRecord {
  const inner = typeof value === "object" && value !== null ? (value as JsonRecord)[key] : undefined;
  return typeof inner === "object" && inner !== null && !Array.isArray(inner) ? (inner as JsonRecord) : {};
}

function numberIn(record: JsonRecord, key: string): number | null {
  const value = record[key];
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

function stringIn(record: JsonRecord, key: string): string | null {
  const value = record[key];
  return typeof value === "string" && value !== "" ? value : null;
}

/** The score of the version's newest evaluation by a real (not mock) judge. */
export type VersionScore = { primaryScore: number; judge: string; split: string | null; evaluationId: string | null };

/**
 * The newest completed evaluation by a non-mock judge that the run had at promotion
 * (the server keeps them oldest first), or null: a mock judge's score says nothing
 * about the model.
 */
export function versionScore(version: Pick<ModelVersion, "metrics">): VersionScore | null {
  const evaluations = version.metrics.evaluations;
  if (!Array.isArray(evaluations)) return null;
  for (let i = evaluations.length - 1; i >= 0; i -= 1) {
    const evaluation = evaluations[i] as unknown;
    if (typeof evaluation !== "object" || evaluation === null) continue;
    const record = evaluation as JsonRecord;
    const score = numberIn(record, "primary_score");
    if (record.mock === true || score === null) continue;
    return {
      primaryScore: score,
      judge: stringIn(record, "judge") ?? "?",
      split: stringIn(record, "split"),
      evaluationId: stringIn(record, "evaluation_id"),
    };
  }
  return null;
}

/** The training run's last training-step loss, as stored at promotion. */
export function versionFinalLoss(version: Pick<ModelVersion, "metrics">): number | null {
  return numberIn(recordAt(version.metrics, "training"), "final_loss");
}

/** A version's provenance, each value as text (null: not recorded). */
export type Provenance = {
  runId: string | null;
  datasetKey: string | null;
  datasetSha256: string | null;
  template: string | null;
  templateSha256: string | null;
  baseModel: string | null;
  method: string | null;
  seed: string | null;
  checkpointStep: string | null;
  paramsSha256: string | null;
  versions: [string, string][];
};

function textIn(record: JsonRecord, key: string): string | null {
  const value = record[key];
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return stringIn(record, key);
}

export function readProvenance(provenance: JsonRecord): Provenance {
  const versions = recordAt({ versions: provenance.versions }, "versions");
  return {
    runId: textIn(provenance, "run_id"),
    datasetKey: textIn(provenance, "dataset_key"),
    datasetSha256: textIn(provenance, "dataset_sha256"),
    template: textIn(provenance, "template"),
    templateSha256: textIn(provenance, "template_sha256"),
    baseModel: textIn(provenance, "base_model"),
    method: textIn(provenance, "method"),
    seed: textIn(provenance, "seed"),
    checkpointStep: textIn(provenance, "checkpoint_step"),
    paramsSha256: textIn(provenance, "params_sha256"),
    versions: Object.entries(versions).map(([name, value]) => [name, typeof value === "string" ? value : JSON.stringify(value)]),
  };
}

// --- aliases ---------------------------------------------------------------------------

/** Lower-case letters, digits, '_' and '-', starting with a letter (the API's rule). */
export const ALIAS_PATTERN = /^[a-z][a-z0-9_-]*$/;
/** `latest` always means the newest version: it cannot be set. */
export const RESERVED_ALIASES: ReadonlySet<string> = new Set(["latest"]);

/** Why an alias name cannot be sent, or null when it can. */
export function aliasNameProblem(name: string): string | null {
  if (name === "") return null;
  if (RESERVED_ALIASES.has(name)) return `"${name}" is reserved: it always means the newest version.`;
  if (!ALIAS_PATTERN.test(name)) return "Lower-case letters, digits, _ and -, starting with a letter.";
  return null;
}

export const ACTION_LABELS: Record<AliasAction, string> = {
  set: "set",
  rollback: "rollback",
  delete: "delete",
  refused: "refused",
};

/** The move form's inputs, as typed. */
export type MoveFormValues = { alias: string; versionId: string; baseline: string; reason: string };

/** The request of the move form: the baseline only for a protected alias, empty optional inputs left out. */
export function toAliasRequest(values: MoveFormValues, needsBaseline: boolean): AliasRequest {
  const request: AliasRequest = { version_id: values.versionId };
  if (needsBaseline && values.baseline) request.baseline_name = values.baseline;
  if (values.reason.trim()) request.reason = values.reason.trim();
  return request;
}

/** Inputs a 422 can point at (`loc` without "body"). */
export const MOVE_FIELD_PATHS = ["version_id", "baseline_name", "reason"] as const;
export const REGISTER_FIELD_PATHS = ["name", "description", "version_label", "source_run_id"] as const;

/** Whether a 422 says the alias is protected: the server asks for the baseline of its gate. */
export function asksForBaseline(error: unknown): boolean {
  return isApiError(error) && error.fieldErrors.some((item) => item.loc[0] === "body" && item.loc[1] === "baseline_name");
}

/** A protected alias's gate said no: the 409 carries the check's full report. */
export class GateRefusedError extends ApiError {
  readonly check: CheckReport;

  constructor(error: ApiError, check: CheckReport) {
    super(error.status, error.error, error.detail);
    this.name = "GateRefusedError";
    this.check = check;
  }
}

export function isGateRefused(error: unknown): error is GateRefusedError {
  return error instanceof GateRefusedError;
}

/** `error` with the report of a refused gate attached, when the body (`{error, detail, check}`) has one. */
export function withGateReport(error: unknown, body: unknown): unknown {
  if (!isApiError(error) || error.error !== "GateRefused") return error;
  const check = recordAt(body, "check");
  return typeof check.id === "string" && typeof check.verdict === "string" ? new GateRefusedError(error, check as CheckReport) : error;
}
