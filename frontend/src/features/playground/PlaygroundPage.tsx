import { useState } from "react";
import { useSearchParams } from "react-router";
import { ChatComposer } from "./ChatComposer";
import { ChatSettingsForm } from "./ChatSettingsForm";
import { ChatTranscript } from "./ChatTranscript";
import { DEFAULT_SETTINGS, readSettings, type Turn } from "./playground";
import { ServingStatusPanel } from "./ServingStatusPanel";
import { useChat } from "./useChat";

/** One sentence for screen readers when an answer starts or ends (not every token). */
function announcement(last: Turn | undefined): string {
  switch (last?.answer.status) {
    case "waiting":
    case "streaming":
      return "The model is answering.";
    case "done":
      return "The answer is complete.";
    case "stopped":
      return "The answer was stopped.";
    case "failed":
      return "The answer failed.";
    default:
      return "";
  }
}

/**
 * A chat with a served model (`?model=` chooses it): its reasoning and answer stream
 * live, each answer with its time to first token, speed and token counts; what the
 * server has loaded beside it.
 */
export function PlaygroundPage() {
  const [params, setParams] = useSearchParams();
  const model = params.get("model") ?? "";
  const [input, setInput] = useState(DEFAULT_SETTINGS);
  const [draft, setDraft] = useState("");
  const chat = useChat();
  const { settings, errors } = readSettings(input);
  const last = chat.turns.at(-1);

  const blocked = model === "" ? "Choose a model to chat with." : settings === null ? "Fix the settings to send." : null;

  function chooseModel(next: string) {
    setParams(
      (current) => {
        const updated = new URLSearchParams(current);
        if (next) updated.set("model", next);
        else updated.delete("model");
        return updated;
      },
      { replace: true },
    );
  }

  function send() {
    if (!settings || model === "") return;
    void chat.send(model, draft.trim(), settings);
    setDraft("");
  }

  const canRetry = last !== undefined && !chat.answering && (last.answer.status === "failed" || last.answer.status === "stopped");
  return (
    <div className="playground" data-testid="playground:page">
      <div className="playground-grid">
        <ChatSettingsForm model={model} onModel={chooseModel} input={input} onInput={setInput} errors={errors} />
        <section className="card playground-chat" aria-labelledby="playground-title">
          <div className="card-header">
            <h1 id="playground-title">Playground</h1>
            <div className="actions">
              {canRetry && settings && model !== "" && (
                <button type="button" onClick={() => chat.retry(model, settings)} data-testid="playground:retry">
                  Retry
                </button>
              )}
              <button type="button" onClick={chat.clear} disabled={chat.turns.length === 0} data-testid="playground:clear">
                Clear
              </button>
            </div>
          </div>
          <p className="muted small playground-intro">
            A chat with a served model, through the server&apos;s OpenAI-compatible <code>/v1/chat/completions</code>.
          </p>
          <ChatTranscript turns={chat.turns} />
          <p className="visually-hidden" role="status" data-testid="playground:announcement">
            {announcement(last)}
          </p>
          <ChatComposer draft={draft} onDraft={setDraft} onSend={send} onStop={chat.stop} answering={chat.answering} blocked={blocked} />
        </section>
        <ServingStatusPanel />
      </div>
    </div>
  );
}
