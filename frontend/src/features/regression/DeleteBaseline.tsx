import { useCallback } from "react";
import { ErrorMessage } from "../../ui/ErrorMessage";
import { useRetryAfterToken } from "../auth/hooks";
import { useDeleteBaseline } from "./queries";

/** The confirmation a delete asks for: it says what goes (the baseline and its history) and what stays (its checks). */
export function DeleteBaseline({ name, onDone }: { name: string; onDone: () => void }) {
  const deletion = useDeleteBaseline(name);
  const { mutate } = deletion;
  const run = useCallback(() => mutate(undefined, { onSuccess: onDone }), [mutate, onDone]);
  useRetryAfterToken(deletion.error, run);

  return (
    <div className="delete-baseline">
      <div className="confirm" role="group" aria-label={`Confirm deleting ${name}`}>
        <span>
          Delete <code>{name}</code> and its history? The checks made against it stay.
        </span>
        <button type="button" className="danger" onClick={run} disabled={deletion.isPending} data-testid="regression:delete-confirm">
          {deletion.isPending ? "Deleting…" : "Delete"}
        </button>
        <button type="button" onClick={onDone} data-testid="regression:delete-cancel">
          Cancel
        </button>
      </div>
      {deletion.isError && <ErrorMessage error={deletion.error} title="Not deleted" />}
    </div>
  );
}
