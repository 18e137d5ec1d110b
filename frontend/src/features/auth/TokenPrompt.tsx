import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { setToken } from "../../api/token";
import { useTokenPromptOpen } from "./hooks";
import { announceTokenSaved, closeTokenPrompt } from "./promptStore";

/** Shown when the server answers 401: paste a token, save it, and the app retries. */
export function TokenPrompt() {
  const open = useTokenPromptOpen();
  if (!open) return null;
  return <TokenPromptPanel />;
}

function TokenPromptPanel() {
  const queryClient = useQueryClient();
  const [value, setValue] = useState("");
  const inputRef = useRef<HTMLInputElement>(null);
  const titleId = useId();
  const inputId = useId();

  useEffect(() => inputRef.current?.focus(), []);

  function save(event: FormEvent) {
    event.preventDefault();
    const token = value.trim();
    if (!token) return;
    setToken(token);
    closeTokenPrompt();
    announceTokenSaved();
    void queryClient.invalidateQueries();
  }

  return (
    <div className="overlay">
      <form
        className="dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        data-testid="sys:token-prompt"
        onSubmit={save}
        onKeyDown={(event) => {
          if (event.key === "Escape") closeTokenPrompt();
        }}
      >
        <h2 id={titleId}>Authentication required</h2>
        <p>
          This server requires an API token. Create one with{" "}
          <code>tunix-rt token create --name you --scope write</code> and paste it here. It is kept in this
          browser only.
        </p>
        <label htmlFor={inputId}>API token</label>
        <input
          id={inputId}
          ref={inputRef}
          type="password"
          autoComplete="off"
          spellCheck={false}
          placeholder="trt_…"
          value={value}
          onChange={(event) => setValue(event.target.value)}
          data-testid="sys:token-input"
        />
        <div className="actions">
          <button type="submit" className="primary" disabled={!value.trim()} data-testid="sys:token-save">
            Save
          </button>
          <button type="button" onClick={closeTokenPrompt} data-testid="sys:token-cancel">
            Cancel
          </button>
        </div>
      </form>
    </div>
  );
}
