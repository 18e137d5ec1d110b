import type { Schemas } from "../../api/client";
import type { TunixStatus } from "./queries";

/** A checkpoint under the server's MODEL_DIR (e.g. from `tunix-rt model import gemma-3-270m`). */
export type LocalModel = Schemas["LocalModel"];

/** The prefix of the server's built-in (random init) models; any other id names a pretrained checkpoint. */
export const BUILTIN_PREFIX = "tunix-rt/";

/** Whether the server builds this model itself (the toy models), rather than loading a checkpoint. */
export function isBuiltinModel(modelId: string): boolean {
  return modelId.trim().startsWith(BUILTIN_PREFIX);
}

const COMPACT = new Intl.NumberFormat("en", { notation: "compact", maximumSignificantDigits: 3 });

/** 268098176 -> "268M"; 1_500_000_000 -> "1.5B". */
export function formatParameterCount(count: number): string {
  return COMPACT.format(count);
}

const DECIMAL_UNITS = ["B", "kB", "MB", "GB", "TB"] as const;

/** Weights on disk, in decimal units as model hubs give them: 1_072_392_704 -> "1.1 GB". */
export function formatModelSize(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < DECIMAL_UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${value.toFixed(digits)} ${DECIMAL_UNITS[unit]}`;
}

/** "268M parameters, 1.1 GB" (either left out when unknown), or "" when neither is. */
export function localModelSize(model: LocalModel): string {
  const parts = [
    model.parameters !== null ? `${formatParameterCount(model.parameters)} parameters` : null,
    model.size_bytes > 0 ? formatModelSize(model.size_bytes) : null,
  ];
  return parts.filter((part) => part !== null).join(", ");
}

/** A picker's label: "google/gemma-3-270m — 268M parameters, 1.1 GB". */
export function localModelLabel(model: LocalModel): string {
  const size = localModelSize(model);
  return size ? `${model.model_id} — ${size}` : model.model_id;
}

/** The local models of a status, less any that shadows a built-in id (the built-in one is what a run gets). */
export function localModelsOf(status: TunixStatus | undefined): LocalModel[] {
  const builtin = status?.builtin_models ?? {};
  return (status?.local_models ?? []).filter((model) => !Object.hasOwn(builtin, model.model_id));
}
