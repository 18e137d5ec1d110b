import type { Alias } from "./models";

/** `protected`, written out (colour is never the only cue). */
export function ProtectedBadge({ testId }: { testId?: string }) {
  return (
    <span className="protected-badge" title="Moves only with a token, and to a new version only when its run passes a regression check" data-testid={testId}>
      protected
    </span>
  );
}

/** One alias as a chip: `staging → v2`, marked when protected. */
export function AliasChip({ alias }: { alias: Pick<Alias, "alias" | "protected"> & { version?: Alias["version"] } }) {
  return (
    <span
      className={alias.protected ? "pill alias-chip alias-protected" : "pill alias-chip"}
      data-testid="models:alias-chip"
      data-alias={alias.alias}
      data-protected={String(alias.protected)}
    >
      <span className="mono">{alias.alias}</span>
      {alias.version && <span className="alias-target">→ {alias.version.version}</span>}
      {alias.protected && <ProtectedBadge />}
    </span>
  );
}

/** A model's (or a version's) aliases, or a dash when it has none. */
export function AliasChips({ aliases }: { aliases: readonly (Pick<Alias, "alias" | "protected"> & { version?: Alias["version"] })[] }) {
  if (aliases.length === 0) return <span className="muted">—</span>;
  return (
    <span className="alias-chips">
      {aliases.map((alias) => (
        <AliasChip key={alias.alias} alias={alias} />
      ))}
    </span>
  );
}
