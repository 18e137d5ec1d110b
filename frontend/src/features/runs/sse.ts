// Server-sent events, parsed by hand from a fetch body: EventSource cannot send the
// bearer token, so the run's log stream is read through the API client instead.
// Follows the WHATWG "event stream interpretation" rules that matter here.

export type SseMessage = {
  /** The `event:` field; "message" when the server sent none. */
  event: string;
  /** The `data:` lines, joined by "\n". */
  data: string;
  /** The last `id:` seen so far in the stream (it carries over), or null. */
  id: string | null;
};

export type SseParser = {
  /** Feeds decoded text; chunks may split a line (or a CRLF) anywhere. */
  push(text: string): void;
  /** The stream closed: a message without its blank line is dropped, as the spec says. */
  end(): void;
};

/** A parser that calls `onMessage` for each complete event. */
export function createSseParser(onMessage: (message: SseMessage) => void): SseParser {
  let buffer = "";
  let first = true;
  let event = "";
  let data: string[] = [];
  let lastId: string | null = null;

  function dispatch() {
    if (data.length > 0) onMessage({ event: event || "message", data: data.join("\n"), id: lastId });
    event = "";
    data = [];
  }

  function line(text: string) {
    if (text === "") return dispatch();
    if (text.startsWith(":")) return; // a comment: sse-starlette's keep-alive pings
    const colon = text.indexOf(":");
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? "" : text.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") data.push(value);
    else if (field === "event") event = value;
    else if (field === "id" && !value.includes("\0")) lastId = value;
    // `retry` and unknown fields are ignored: reconnection has its own backoff.
  }

  return {
    push(text: string) {
      buffer += text;
      if (first && buffer.length > 0) {
        if (buffer.charCodeAt(0) === 0xfeff) buffer = buffer.slice(1);
        first = false;
      }
      let start = 0;
      for (let i = 0; i < buffer.length; i++) {
        const char = buffer[i];
        if (char !== "\n" && char !== "\r") continue;
        // A CR at the very end may be the first half of a CRLF split across chunks.
        if (char === "\r" && i === buffer.length - 1) break;
        line(buffer.slice(start, i));
        if (char === "\r" && buffer[i + 1] === "\n") i++;
        start = i + 1;
      }
      buffer = buffer.slice(start);
    },
    end() {
      if (buffer.endsWith("\r")) {
        line(buffer.slice(0, -1));
        buffer = "";
      }
      // Whatever is left is an unterminated line of an event that never finished.
      buffer = "";
      event = "";
      data = [];
    },
  };
}

/**
 * The events of a text/event-stream body, in order. Ends when the body does, or when
 * `signal` aborts (the read is cancelled, whatever fetch did with the signal); throws
 * what reading throws (a dropped connection). `onBytes` is told of every chunk read,
 * comments included, so a caller can tell a live but quiet stream from a dead one.
 */
export async function* readSse(
  body: ReadableStream<Uint8Array>,
  { onBytes = () => {}, signal }: { onBytes?: () => void; signal?: AbortSignal } = {},
): AsyncGenerator<SseMessage, void, undefined> {
  const reader = body.getReader();
  const stop = () => void reader.cancel().catch(() => {});
  signal?.addEventListener("abort", stop, { once: true });
  const decoder = new TextDecoder();
  const ready: SseMessage[] = [];
  const parser = createSseParser((message) => ready.push(message));
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (signal?.aborted) return;
      if (done) {
        parser.push(decoder.decode());
        parser.end();
      } else {
        onBytes();
        parser.push(decoder.decode(value, { stream: true }));
      }
      while (ready.length > 0) yield ready.shift()!;
      if (done) return;
    }
  } finally {
    signal?.removeEventListener("abort", stop);
    // Stops the download when the consumer leaves early (it broke out, or was aborted).
    stop();
  }
}
