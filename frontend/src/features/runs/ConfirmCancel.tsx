import { useCallback, useState } from "react";
import { useRetryAfterToken } from "../auth/hooks";
import { ErrorMessage } from "../../ui/ErrorMessage";

/** What `ConfirmCancel` needs of the cancel mutation (a `useMutation` result). */
type CancelMutation = { isPending: boolean; isError: boolean; error: unknown; reset: () => void };

type ConfirmCancelProps = {
  /** Prefix of the test ids: `<prefix>:cancel`, `<prefix>:cancel-confirm`, … */
  testIdPrefix: string;
  /** Whether it can be cancelled now; when not, only a failed cancel's error shows. */
  shown: boolean;
  /** A cancel was asked for and is under way: a disabled "Cancel requested…" button. */
  requested?: boolean;
  /** What the second click does, asked before it. */
  question: string;
  /** The first button's, and the confirming button's, label ("Cancel run"). */
  label: string;
  /** The button that backs out ("Keep running"). */
  keepLabel: string;
  cancel: CancelMutation;
  /** Sends the cancel; `onSettled` when it has answered. Stable (a `useCallback`). */
  onConfirm: (onSettled: () => void) => void;
};

/**
 * Cancel, after a second click that says what happens. A refusal (a 409: it ended
 * meanwhile) is shown as "Not cancelled"; the send is retried once a token is saved.
 */
export function ConfirmCancel({ testIdPrefix, shown, requested = false, question, label, keepLabel, cancel, onConfirm }: ConfirmCancelProps) {
  const [confirming, setConfirming] = useState(false);
  const confirm = useCallback(() => onConfirm(() => setConfirming(false)), [onConfirm]);
  useRetryAfterToken(cancel.error, confirm);
  if (!shown && !cancel.isError) return null;

  return (
    <div className="cancel-run">
      {requested ? (
        <button type="button" disabled data-testid={`${testIdPrefix}:cancel-requested`}>
          <span className="spinner small-spinner" aria-hidden="true" /> Cancel requested…
        </button>
      ) : confirming && shown ? (
        <div className="confirm" role="group" aria-label="Confirm cancel">
          <span>{question}</span>
          <button type="button" className="danger" onClick={confirm} disabled={cancel.isPending} data-testid={`${testIdPrefix}:cancel-confirm`}>
            {cancel.isPending ? "Cancelling…" : label}
          </button>
          <button type="button" onClick={() => setConfirming(false)} disabled={cancel.isPending} data-testid={`${testIdPrefix}:cancel-keep`}>
            {keepLabel}
          </button>
        </div>
      ) : (
        shown && (
          <button
            type="button"
            className="danger-outline"
            onClick={() => {
              cancel.reset();
              setConfirming(true);
            }}
            data-testid={`${testIdPrefix}:cancel`}
          >
            {label}
          </button>
        )
      )}
      {cancel.isError && <ErrorMessage error={cancel.error} title="Not cancelled" />}
    </div>
  );
}
