import { useUngarStatus } from "./queries";

/** Whether High Card Duel deals with the `ungar` package or Tunix RT's built-in rules. */
export function UngarStatusLine() {
  const status = useUngarStatus();
  let text = "checking…";
  if (status.data) {
    const engine = status.data.engine === "ungar" ? `ungar ${status.data.version ?? ""}`.trim() : status.data.engine;
    text = `${engine} — ${status.data.message}`;
  } else if (status.isError) {
    text = `status unavailable (${status.error.message})`;
  }
  return (
    <p className="muted small ungar-status" data-testid="gen:ungar-status" title="GET /api/ungar/status">
      <strong>UNGAR:</strong> {text}
    </p>
  );
}
