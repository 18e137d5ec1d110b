import type { Verdict } from "./regression";

/** pass / fail / inconclusive, coloured. */
export function CheckVerdict({ verdict, size = "small", testId }: { verdict: Verdict; size?: "small" | "large"; testId?: string }) {
  return (
    <span className={`pill verdict verdict-${verdict} verdict-${size}`} data-verdict={verdict} data-testid={testId}>
      {verdict}
    </span>
  );
}
