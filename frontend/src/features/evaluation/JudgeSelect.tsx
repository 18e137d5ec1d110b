import type { Judge } from "./queries";

/** The judge chosen at first: the server's default when it can be used, else the first that can. */
export function initialJudge(judges: readonly Judge[]): string | null {
  const usable = judges.filter((judge) => judge.available);
  return (usable.find((judge) => judge.default) ?? usable[0])?.name ?? null;
}

function optionText(judge: Judge): string {
  const name = `${judge.name} v${judge.version}${judge.mock ? " (mock)" : ""}${judge.default ? " — default" : ""}`;
  return judge.available ? name : `${name} — unavailable: ${judge.unavailable_reason ?? "not configured"}`;
}

type JudgeSelectProps = {
  id: string;
  judges: readonly Judge[];
  value: string;
  onChange: (name: string) => void;
  testId: string;
  describedBy?: string;
};

/**
 * Every judge, by name and version; one that cannot be used here is listed disabled with
 * the reason, and a mock one says so.
 */
export function JudgeSelect({ id, judges, value, onChange, testId, describedBy }: JudgeSelectProps) {
  return (
    <select id={id} value={value} onChange={(event) => onChange(event.target.value)} data-testid={testId} aria-describedby={describedBy}>
      {judges.map((judge) => (
        <option
          key={judge.name}
          value={judge.name}
          disabled={!judge.available}
          title={judge.available ? judge.description : (judge.unavailable_reason ?? undefined)}
        >
          {optionText(judge)}
        </option>
      ))}
    </select>
  );
}

/** What the chosen judge does, in the server's words, and a warning for a mock one. */
export function JudgeHint({ judge }: { judge: Judge | undefined }) {
  if (!judge) return null;
  return (
    <>
      {judge.mock && <strong className="mock-note">Mock: no model grades the answers. </strong>}
      {judge.description}
    </>
  );
}
