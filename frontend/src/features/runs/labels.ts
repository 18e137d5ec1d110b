// A run's labels (name, notes, tags) as the forms edit them, and where a 422 about them
// is shown. Labels are for people: they never change what a run does or its results.

import { isApiError, type FieldError } from "../../api/errors";
import { bodyPath, type PlacedErrors } from "../../ui/FieldErrors";
import type { Schemas } from "../../api/client";

export type RunLabelsUpdate = Schemas["RunLabelsUpdate"];

/** The label form's inputs, as typed. */
export type LabelValues = { name: string; notes: string; tags: string };

export const LABEL_PATHS = ["name", "notes", "tags"] as const;

/** What the server accepts in a tag (shown as a hint; the server checks it). */
export const TAG_HINT = "Separated by commas or spaces: letters, digits, . _ : -";

/** `"a, b  c,a"` -> `["a", "b", "c"]`: split on commas and spaces, repeats dropped. */
export function parseTags(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).filter(Boolean))];
}

/** The tags as the tag input shows them. */
export function formatTags(tags: readonly string[]): string {
  return tags.join(", ");
}

export function labelValues(run: { name: string | null; notes: string | null; tags: readonly string[] }): LabelValues {
  return { name: run.name ?? "", notes: run.notes ?? "", tags: formatTags(run.tags) };
}

/** The PATCH body: every label, a blank name or notes cleared (null). */
export function toLabelsUpdate(values: LabelValues): RunLabelsUpdate {
  return {
    name: values.name.trim() || null,
    notes: values.notes.trim() === "" ? null : values.notes,
    tags: parseTags(values.tags),
  };
}

/** The labels a new run is given: only those filled in (a run form leaves them optional). */
export function newRunLabels(values: Pick<LabelValues, "name" | "tags">): { name?: string; tags?: string[] } {
  const name = values.name.trim();
  const tags = parseTags(values.tags);
  return { ...(name ? { name } : {}), ...(tags.length > 0 ? { tags } : {}) };
}

/**
 * A 422's field errors of one tag (`["body", "tags", 2]`) belong to the tag input, and
 * name the tag: "Tag “a/b”: …". Others are left as they are.
 */
function onTagInput(item: FieldError, tags: readonly string[]): FieldError {
  const [root, field, index] = item.loc;
  if (root !== "body" || field !== "tags" || typeof index !== "number") return item;
  const tag = tags[index];
  return { ...item, loc: ["body", "tags"], msg: tag === undefined ? item.msg : `Tag “${tag}”: ${item.msg}` };
}

/**
 * Like `placeFieldErrors`, with the errors of each tag placed at the one tag input.
 * `tags`: the tags sent, to name the one refused.
 */
export function placeRunErrors(error: unknown, paths: readonly string[], tags: readonly string[]): PlacedErrors {
  const items = (isApiError(error) ? error.fieldErrors : []).map((item) => onTagInput(item, tags));
  const known = new Set(paths);
  return {
    at: (path) => items.filter((item) => bodyPath(item) === path),
    unplaced: items.filter((item) => !known.has(bodyPath(item) ?? "")),
    total: items.length,
  };
}
