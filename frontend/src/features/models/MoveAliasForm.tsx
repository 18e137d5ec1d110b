import { useCallback, useId, useState, type FormEvent } from "react";
import { Link } from "react-router";
import { controlProps, Field } from "../../ui/Field";
import { FormErrorSummary, placeFieldErrors } from "../../ui/FieldErrors";
import { useRetryAfterToken } from "../auth/hooks";
import { CheckReportView } from "../regression/CheckReportView";
import { useBaselines } from "../regression/queries";
import { regressionPath } from "../regression/regression";
import { CheckVerdict } from "../regression/VerdictBadge";
import { ProtectedBadge } from "./AliasChips";
import {
  aliasNameProblem,
  asksForBaseline,
  isGateRefused,
  MOVE_FIELD_PATHS,
  toAliasRequest,
  type Alias,
  type AliasMove,
  type ModelVersion,
  type MoveFormValues,
} from "./models";
import { useMoveAlias } from "./queries";

const ERROR_TEST_ID = "models:move-field-error";

/** What a move did, in a sentence. */
function MoveResult({ move, alias }: { move: AliasMove; alias: string }) {
  const to = move.alias?.version.version ?? "?";
  const event = move.event;
  return (
    <div className="success" role="status" data-testid="models:moved">
      {event === null ? (
        <>
          <code>{alias}</code> points at {to} already: nothing changed.
        </>
      ) : event.action === "rollback" ? (
        <>
          <code>{alias}</code> is back at {to}, a version it held before (no new check).
        </>
      ) : (
        <>
          <code>{alias}</code> now points at {to}
          {event.from_version ? ` (was ${event.from_version.version})` : ""}.
        </>
      )}
      {move.check && (
        <div className="moved-check small">
          Regression check against <span className="mono">{move.check.baseline_name}</span>:{" "}
          <CheckVerdict verdict={move.check.verdict} /> <Link to={regressionPath({ check: move.check.id })}>the report</Link>
        </div>
      )}
    </div>
  );
}

/** Under the alias input: the rule for names, and which are protected (the typed one, marked). */
function AliasHint({ isProtected, protectedAliases }: { isProtected: boolean; protectedAliases: readonly string[] }) {
  if (isProtected) {
    return (
      <>
        <ProtectedBadge testId="models:move-alias-protected" /> moves with a write token and a passed regression check
      </>
    );
  }
  return (
    <>
      Lower-case letters, digits, _ -
      {protectedAliases.length > 0 && (
        <>
          ; protected: <span className="mono">{protectedAliases.join(", ")}</span>
        </>
      )}
    </>
  );
}

/** Whether the alias was changed after `move` (it may not be listed yet: the model is being reloaded). */
function changedSince(current: Alias | undefined, move: AliasMove): boolean {
  if (current === undefined || move.alias === null) return false;
  return Date.parse(current.updated_at) > Date.parse(move.alias.updated_at);
}

type MoveAliasFormProps = {
  modelId: string;
  aliases: readonly Alias[];
  /** The server's protected names, set or not: the baseline is asked for as soon as one is typed. */
  protectedAliases: readonly string[];
  versions: readonly ModelVersion[];
};

/**
 * Points an alias (new or existing) at a version. A protected alias names the baseline
 * its new version's run must pass; a refused gate shows the check's report.
 */
export function MoveAliasForm({ modelId, aliases, protectedAliases, versions }: MoveAliasFormProps) {
  const id = useId();
  const [values, setValues] = useState<MoveFormValues>({ alias: "", versionId: "", baseline: "", reason: "" });
  // Aliases a 422 said are protected: the server's list may have changed since the model was loaded.
  const [askedBaseline, setAskedBaseline] = useState<ReadonlySet<string>>(new Set());
  const move = useMoveAlias(modelId);

  const aliasName = values.alias.trim();
  const versionId = values.versionId || versions[0]?.id || "";
  const known = aliases.find((a) => a.alias === aliasName);
  const isProtected = known?.protected === true || protectedAliases.includes(aliasName) || askedBaseline.has(aliasName);
  const baselines = useBaselines(0, isProtected);
  const baselineRows = baselines.data?.data ?? [];
  const baseline = values.baseline || baselineRows[0]?.name || "";
  const problem = aliasNameProblem(aliasName);

  const { mutate, variables } = move;
  const send = useCallback(
    (vars: NonNullable<typeof variables>) =>
      mutate(vars, {
        // The reason was this move's: the next one gives its own.
        onSuccess: () => setValues((current) => ({ ...current, reason: "" })),
        onError: (error) => {
          if (asksForBaseline(error)) setAskedBaseline((current) => new Set(current).add(vars.alias));
        },
      }),
    [mutate],
  );
  const retry = useCallback(() => {
    if (variables) send(variables);
  }, [send, variables]);
  useRetryAfterToken(move.error, retry);

  function submit(event: FormEvent) {
    event.preventDefault();
    send({ alias: aliasName, body: toAliasRequest({ ...values, versionId, baseline }, isProtected) });
  }

  // What the last move did, until the alias changes again (a rollback from its list makes it stale).
  const moved = move.data && !move.isError && variables ? move.data : null;
  const current = moved ? aliases.find((a) => a.alias === variables?.alias) : undefined;
  const stillSo = moved !== null && !changedSince(current, moved);

  const set = (field: keyof MoveFormValues) => (event: { target: { value: string } }) =>
    setValues((current) => ({ ...current, [field]: event.target.value }));
  const placed = placeFieldErrors(move.error, MOVE_FIELD_PATHS);
  const field = (name: string, path: string) => ({ id: `${id}-${name}`, errors: placed.at(path), errorTestId: ERROR_TEST_ID });
  const noVersions = versions.length === 0;
  const needsBaseline = isProtected && !baseline;
  const refused = isGateRefused(move.error) ? move.error : null;

  return (
    <section className="card move-alias" aria-labelledby={`${id}-title`} data-testid="models:move-form">
      <form onSubmit={submit} noValidate>
        <h2 id={`${id}-title`}>Move an alias</h2>
        <p className="muted small">
          Points an alias at a version; a new name creates it. Back to a version it held before is a rollback.
        </p>
        <div className="form-grid move-grid">
          <Field label="Alias" hint={problem ?? <AliasHint isProtected={isProtected} protectedAliases={protectedAliases} />} {...field("alias", "alias")}>
            <input
              type="text"
              required
              autoComplete="off"
              spellCheck={false}
              placeholder="staging"
              list={`${id}-aliases`}
              {...controlProps(`${id}-alias`, [], true)}
              aria-invalid={problem ? true : undefined}
              value={values.alias}
              onChange={set("alias")}
              data-testid="models:move-alias"
            />
            <datalist id={`${id}-aliases`}>
              {aliases.map((a) => (
                <option key={a.alias} value={a.alias} label={`→ ${a.version.version}${a.protected ? " (protected)" : ""}`} />
              ))}
              {protectedAliases
                .filter((name) => !aliases.some((a) => a.alias === name))
                .map((name) => (
                  <option key={name} value={name} label="not set (protected)" />
                ))}
            </datalist>
          </Field>
          <Field label="Version" {...field("version", "version_id")}>
            <select
              {...controlProps(`${id}-version`, placed.at("version_id"))}
              value={versionId}
              onChange={set("versionId")}
              disabled={noVersions}
              data-testid="models:move-version"
            >
              {noVersions && <option value="">No versions yet</option>}
              {versions.map((version) => (
                <option key={version.id} value={version.id}>
                  {version.version}
                  {version.aliases.length > 0 ? ` (${version.aliases.join(", ")})` : ""}
                </option>
              ))}
            </select>
          </Field>
          {isProtected && (
            <Field
              label="Baseline"
              hint={
                baselineRows.length === 0 && !baselines.isPending ? (
                  <>
                    No baselines yet: <Link to={regressionPath()}>set one</Link>.
                  </>
                ) : (
                  `${aliasName} is protected: the version's run must pass a check against it`
                )
              }
              {...field("baseline", "baseline_name")}
            >
              <select
                {...controlProps(`${id}-baseline`, placed.at("baseline_name"), true)}
                value={baseline}
                onChange={set("baseline")}
                required
                disabled={baselineRows.length === 0}
                data-testid="models:move-baseline"
              >
                {baselineRows.length === 0 && <option value="">{baselines.isPending ? "Loading…" : "No baselines"}</option>}
                {baselineRows.map((b) => (
                  <option key={b.name} value={b.name}>
                    {b.name} (v{b.version})
                  </option>
                ))}
              </select>
            </Field>
          )}
          <Field label="Reason (optional)" wide {...field("reason", "reason")}>
            <input
              type="text"
              autoComplete="off"
              placeholder="Why, for the history"
              {...controlProps(`${id}-reason`, placed.at("reason"))}
              value={values.reason}
              onChange={set("reason")}
              data-testid="models:move-reason"
            />
          </Field>
        </div>
        <div className="form-footer">
          <span className="muted small">{noVersions ? "Promote a run first." : isProtected ? "A token with write scope is needed." : ""}</span>
          <button
            type="submit"
            className="primary"
            disabled={move.isPending || noVersions || !aliasName || problem !== null || needsBaseline}
            data-testid="models:move-submit"
          >
            {move.isPending ? (isProtected ? "Checking…" : "Moving…") : "Move alias"}
          </button>
        </div>
        <FormErrorSummary error={move.error} placed={placed} title="Not moved" testId={ERROR_TEST_ID} />
        {moved && stillSo && variables && <MoveResult move={moved} alias={variables.alias} />}
      </form>
      {refused && (
        <div className="gate-report" data-testid="models:gate-report">
          <CheckReportView report={refused.check} />
        </div>
      )}
    </section>
  );
}
