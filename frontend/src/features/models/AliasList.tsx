import { useCallback, useState } from "react";
import { ErrorMessage } from "../../ui/ErrorMessage";
import { useRetryAfterToken } from "../auth/hooks";
import { formatLocalTime } from "../traces/payload";
import { ProtectedBadge } from "./AliasChips";
import { AliasHistory } from "./AliasHistory";
import type { Alias } from "./models";
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
  // The server keeps the undo stack of the alias's moves: where a rollback takes it.
  const target = alias.rollback_to;
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
                ? `Undo ${alias.alias}'s last move: back to ${target.version}`
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

/** The server's protected names this model has not set: they are protected from their first move. */
function UnsetProtected({ names }: { names: readonly string[] }) {
  if (names.length === 0) return null;
  return (
    <p className="muted small unset-protected" data-testid="models:protected-unset">
      Not set yet: {names.map((name, i) => (
        <span key={name}>
          {i > 0 && ", "}
          <code>{name}</code>
        </span>
      ))}{" "}
      <ProtectedBadge /> ({names.length === 1 ? "its" : "their"} first move needs a write token and a passed regression check too)
    </p>
  );
}

type AliasListProps = { modelId: string; aliases: readonly Alias[]; protectedAliases: readonly string[] };

/** The model's aliases, each with its history, and the protected names it has not set. */
export function AliasList({ modelId, aliases, protectedAliases }: AliasListProps) {
  const unset = protectedAliases.filter((name) => !aliases.some((alias) => alias.alias === name));
  return (
    <>
      {aliases.length === 0 ? (
        <p className="muted" data-testid="models:aliases-empty">
          No aliases yet: point one at a version with the form.
        </p>
      ) : (
        <ul className="alias-list" data-testid="models:alias-list">
          {aliases.map((alias) => (
            <AliasItem key={alias.alias} modelId={modelId} alias={alias} />
          ))}
        </ul>
      )}
      <UnsetProtected names={unset} />
    </>
  );
}
