import { Fragment } from "react";
import { ErrorMessage } from "../../ui/ErrorMessage";
import { formatSeconds } from "../runs/runOutput";
import { answerFigures, formatRate, isAnswering, type Answer, type Turn } from "./playground";

const RATE_TITLES = {
  generation: "Completion tokens over the seconds from the first text to the last",
  request: "Completion tokens over the seconds from sending to the last token: the text came in one burst, too fast to time on its own",
};

function Figures({ answer }: { answer: Answer }) {
  const { ttftSeconds, tokensPerSecond, rateBasis } = answerFigures(answer);
  const { usage, finishReason, status } = answer;
  const parts = [
    ttftSeconds !== null && (
      <span data-testid="playground:ttft" title="Time to first token: from sending to the first text (queueing, loading the model, reading the prompt)">
        first token {formatSeconds(ttftSeconds)}
      </span>
    ),
    tokensPerSecond !== null && (
      <span data-testid="playground:tokens-per-second" data-basis={rateBasis} title={RATE_TITLES[rateBasis ?? "generation"]}>
        {formatRate(tokensPerSecond)} tokens/s
      </span>
    ),
    usage && (
      <span data-testid="playground:tokens">
        {usage.prompt_tokens.toLocaleString()} prompt + {usage.completion_tokens.toLocaleString()} completion tokens
      </span>
    ),
    finishReason === "stop" && status === "done" && (
      <span data-testid="playground:finish" data-finish="stop">
        finished
      </span>
    ),
    status === "stopped" && (
      <span data-testid="playground:stopped">
        stopped
      </span>
    ),
  ].filter(Boolean);
  if (parts.length === 0) return null;
  return (
    <p className="chat-figures muted small">
      {parts.map((part, i) => (
        <Fragment key={i}>
          {i > 0 && " · "}
          {part}
        </Fragment>
      ))}
    </p>
  );
}

function AnswerView({ answer }: { answer: Answer }) {
  const answering = isAnswering(answer);
  const reasoningOnly = answering && answer.content === "";
  return (
    <div className="chat-message chat-assistant" data-testid="playground:answer" data-status={answer.status}>
      <div className="chat-speaker">
        <span className="mono">{answer.model}</span>
        {answering && <span className="spinner" aria-hidden="true" />}
      </div>
      {answer.reasoning !== "" && (
        // Open to start with; the user may fold it, and it stays folded as text arrives.
        <details className="chat-reasoning" open data-testid="playground:reasoning">
          <summary>
            Reasoning{reasoningOnly && <span className="muted small"> (thinking…)</span>}
          </summary>
          <div className="chat-text">{answer.reasoning}</div>
        </details>
      )}
      {answer.content !== "" ? (
        <div className="chat-text chat-content" data-testid="playground:content">
          {answer.content}
        </div>
      ) : (
        answer.status === "waiting" && <p className="muted small">Waiting for the model (the first request to a model loads it)…</p>
      )}
      {answer.status === "done" && answer.content === "" && (
        <p className="muted small" data-testid="playground:empty-answer">
          (no answer text)
        </p>
      )}
      {answer.finishReason === "length" && (
        <p className="warning-text small" data-testid="playground:finish" data-finish="length">
          Cut off at the max tokens limit (finish reason <code>length</code>): raise Max tokens for a longer answer.
        </p>
      )}
      <Figures answer={answer} />
      {answer.status === "failed" && <ErrorMessage error={answer.error} title="No answer" />}
    </div>
  );
}

/** The conversation: each question, and its answer with the reasoning apart, as they stream. */
export function ChatTranscript({ turns }: { turns: readonly Turn[] }) {
  if (turns.length === 0) {
    return (
      <p className="muted chat-empty" data-testid="playground:empty">
        Ask the chosen model something. Enter sends, Shift+Enter starts a new line.
      </p>
    );
  }
  return (
    <ol className="chat-log" aria-label="Conversation" data-testid="playground:transcript">
      {turns.map((turn) => (
        <li key={turn.id} className="chat-turn" data-testid="playground:turn">
          <div className="chat-message chat-user" data-testid="playground:question">
            <div className="chat-speaker">You</div>
            <div className="chat-text">{turn.prompt}</div>
          </div>
          <AnswerView answer={turn.answer} />
        </li>
      ))}
    </ol>
  );
}
