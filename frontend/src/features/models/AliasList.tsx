import { useCallback, useState } from "react";
import { ErrorMessage } from "../../ui/ErrorMessage";
import { useRetryAfterToken } from "../auth/hooks";
import { formatLocalTime } from "../traces/payload";
import { ProtectedBadge } from "./AliasChips";
import { AliasHistory } from "./AliasHistory";
import { rollbackTarget, type Alias } from "./models";
import { useAliasHistory, useDeleteAlias, useRollbackAlias } from "./queries";

function DeleteAlias({ modelId, alias, onDone }: { modelId: string; alias: string; onDone: () => void }) {
  const deletion = useDeleteAlias(modelId, alias);
  const { mutate } = deletion;
  const run = useCallback(() => mutate(undefined, { onSuccess: onDone }), [mutate, onDone]);
  useRetryAfterToken(deletion.error, run);
  return (
    <div className="delete-alias">
      <div className="confirm" role="group" aria-label={`Confirm deleting ${alias}`}>
        <span>
          Delete the alias <code>{alias}</code>? The versions and its history stay.
        </span>
        <button type="button" className="danger" onClick={run} disabled={deletion.isPending} data-testid="models:alias-delete-confirm">
          {deletion.isPending ? "Deleting…" : "Delete"}
        </button>
        <button type="button" onClick={onDone} data-testid="models:alias-delete-cancel">
          Cancel
        </button>
      </div>
      {deletion.isError && <ErrorMessage error={deletion.error} title="Not deleted" />}
    </div>
  );
}

/** One alias: where it points, roll back and delete, and its history. */
function AliasItem({ modelId, alias }: { modelId: string; alias: Alias }) {
  const [offset, setOffset] = useState(0);
  const [confirming, setConfirming] = useState(false);
  const history = useAliasHistory(modelId, alias.alias, offset);
  const rollback = useRollbackAlias(modelId, alias.alias);
  // Known from the newest page only.
  const target = offset === 0 && history.data ? rollbackTarget(alias, history.data.data) : undefined;
  const nothingBefore = target === null;

  const { mutate } = rollback;
  const rollBack = useCallback(() => mutate(null), [mutate]);
  useRetryAfterToken(rollback.error, rollBack);

  return (
    <li className="alias-item" data-testid="models:alias" data-alias={alias.alias} data-protected={String(alias.protected)}>
      <div className="alias-head">
        <div className="alias-title">
          <strong className="mono alias-name">{alias.alias}</strong>
          <span aria-hidden="true">→</span>
          <strong className="mono" data-testid="models:alias-version">
            {alias.version.version}
          </strong>
          {alias.protected && <ProtectedBadge testId="models:alias-protected" />}
          <span className="muted small">
            since <time dateTime={alias.updated_at}>{formatLocalTime(alias.updated_at)}</time>
          </span>
        </div>
        <div className="actions">
          <button
            type="button"
            onClick={rollBack}
            disabled={rollback.isPending || nothingBefore}
            title={
              target
                ? `Point ${alias.alias} back at ${target.version}, where it was before its last move`
                : nothingBefore
                  ? `${alias.alias} pointed at no other version before this one`
                  : "Back to the version before its last move"
            }
            data-testid="models:alias-rollback"
          >
            {rollback.isPending ? "Rolling back…" : target ? `Roll back to ${target.version}` : "Roll back"}
          </button>
          <button type="button" className="danger-outline" onClick={() => setConfirming(true)} disabled={confirming} data-testid="models:alias-delete">
            Delete
          </button>
        </div>
      </div>
      {confirming && <DeleteAlias modelId={modelId} alias={alias.alias} onDone={() => setConfirming(false)} />}
      {rollback.isError && <ErrorMessage error={rollback.error} title="Not rolled back" />}
      <AliasHistory alias={alias.alias} history={history} offset={offset} onOffset={setOffset} />
    </li>
  );
}

/** The model's aliases, each with its history. */
export function AliasList({ modelId, aliases }: { modelId: string; aliases: readonly Alias[] }) {
  if (aliases.length === 0) {
    return (
      <p className="muted" data-testid="models:aliases-empty">
        No aliases yet: point one at a version with the form.
      </p>
    );
  }
  return (
    <ul className="alias-list" data-testid="models:alias-list">
      {aliases.map((alias) => (
        <AliasItem key={alias.alias} modelId={modelId} alias={alias} />
      ))}
    </ul>
  );
}
