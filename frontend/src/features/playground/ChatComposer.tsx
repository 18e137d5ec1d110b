import { useId, type FormEvent, type KeyboardEvent } from "react";

type Props = {
  draft: string;
  onDraft: (draft: string) => void;
  onSend: () => void;
  onStop: () => void;
  answering: boolean;
  /** Why nothing can be sent now (no model, a setting to fix); null when it can. */
  blocked: string | null;
};

/** The message box: Enter sends, Shift+Enter is a new line; Stop ends the answer streaming. */
export function ChatComposer({ draft, onDraft, onSend, onStop, answering, blocked }: Props) {
  const id = useId();
  const canSend = !answering && blocked === null && draft.trim() !== "";

  function submit(event: FormEvent) {
    event.preventDefault();
    if (canSend) onSend();
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    // Not while an input method composes a character: its Enter picks the character.
    if (event.key !== "Enter" || event.shiftKey || event.nativeEvent.isComposing) return;
    event.preventDefault();
    if (canSend) onSend();
  }

  return (
    <form className="chat-composer" onSubmit={submit} data-testid="playground:composer">
      <label htmlFor={`${id}-message`}>Message</label>
      <textarea
        id={`${id}-message`}
        rows={3}
        value={draft}
        onChange={(event) => onDraft(event.target.value)}
        onKeyDown={onKeyDown}
        aria-describedby={`${id}-hint`}
        placeholder="Ask something…"
        data-testid="playground:input"
      />
      <div className="chat-composer-footer">
        <p id={`${id}-hint`} className="hint" data-testid="playground:composer-hint">
          {blocked ?? "Enter sends, Shift+Enter starts a new line."}
        </p>
        <div className="actions">
          <button type="button" onClick={onStop} disabled={!answering} data-testid="playground:stop">
            Stop
          </button>
          <button type="submit" className="primary" disabled={!canSend} data-testid="playground:send">
            Send
          </button>
        </div>
      </div>
    </form>
  );
}
