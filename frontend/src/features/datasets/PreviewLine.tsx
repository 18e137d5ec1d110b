import { useDebouncedValue } from "../../ui/useDebouncedValue";
import { ErrorMessage } from "../../ui/ErrorMessage";
import { useDatasetPreview, type DatasetSelection } from "./queries";

export const PREVIEW_DEBOUNCE_MS = 300;

function plural(count: number, one: string, many: string): string {
  return `${count.toLocaleString()} ${count === 1 ? one : many}`;
}

/** "N traces match, M would be taken", counted by the server once typing pauses. */
export function PreviewLine({ selection }: { selection: DatasetSelection }) {
  const debounced = useDebouncedValue(selection, PREVIEW_DEBOUNCE_MS);
  const preview = useDatasetPreview(debounced);
  const updating = debounced !== selection || preview.isFetching;

  if (preview.isError) return <ErrorMessage error={preview.error} title="Cannot count matches" />;
  return (
    <p
      className={`preview-line${updating ? " updating" : ""}`}
      aria-live="polite"
      aria-busy={updating}
      data-testid="dataset:preview"
    >
      {preview.data ? (
        <>
          <strong data-testid="dataset:preview-matching">{plural(preview.data.matching, "trace matches", "traces match")}</strong>
          , <strong data-testid="dataset:preview-selected">{preview.data.selected.toLocaleString()}</strong> would be taken
        </>
      ) : (
        <span className="muted">Counting matching traces…</span>
      )}
    </p>
  );
}
