import { useCallback, useState } from "react";
import { useNavigate } from "react-router";
import { ErrorMessage } from "../../ui/ErrorMessage";
import { useRetryAfterToken } from "../auth/hooks";
import { useDeleteDataset } from "./queries";

/** Delete, after a second click that says what goes (the traces stay). */
export function DeleteDataset({ datasetKey }: { datasetKey: string }) {
  const [confirming, setConfirming] = useState(false);
  const deletion = useDeleteDataset(datasetKey);
  const navigate = useNavigate();

  const { mutate } = deletion;
  const run = useCallback(
    () => mutate(undefined, { onSuccess: () => navigate("/datasets", { replace: true }) }),
    [mutate, navigate],
  );
  useRetryAfterToken(deletion.error, run);

  return (
    <div className="delete-dataset">
      {confirming ? (
        <div className="confirm" role="group" aria-label="Confirm delete">
          <span>
            Delete <code>{datasetKey}</code>? Its traces stay.
          </span>
          <button type="button" className="danger" onClick={run} disabled={deletion.isPending} data-testid="dataset:delete-confirm">
            {deletion.isPending ? "Deleting…" : "Delete"}
          </button>
          <button
            type="button"
            onClick={() => {
              setConfirming(false);
              deletion.reset();
            }}
            data-testid="dataset:delete-cancel"
          >
            Cancel
          </button>
        </div>
      ) : (
        <button type="button" className="danger-outline" onClick={() => setConfirming(true)} data-testid="dataset:delete">
          Delete dataset
        </button>
      )}
      {deletion.isError && <ErrorMessage error={deletion.error} title="Not deleted" />}
    </div>
  );
}
