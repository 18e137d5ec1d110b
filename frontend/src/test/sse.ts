// Server-sent event answers for the fetch mock: a whole stream at once, or one a test
// feeds event by event (and can close or break).

import { chunkOf, plainEvents, type ChunkLine } from "./logChunks";

/** One SSE message as sse-starlette writes it. */
export function sse(event: string, id: number, data: unknown): string {
  return `id: ${id}\r\nevent: ${event}\r\ndata: ${JSON.stringify(data)}\r\n\r\n`;
}

export const status = (status: string, attempt = 1, id = 0) => sse("status", id, { status, attempt });
/** A `log` event of plain lines (`events` all null), as the server sends stderr, a dry run's checks, a print. */
export const log = (seq: number, text: string, stream = "stdout") => sse("log", seq, { seq, stream, text, events: plainEvents(text) });
/** A `log` event of `lines`, each plain or a trainer's event line the server read. */
export const logChunk = (seq: number, lines: ChunkLine[], stream = "stdout") => sse("log", seq, { seq, stream, ...chunkOf(lines) });
/** A `log` event as a server from before `events` sends it. */
export const legacyLog = (seq: number, text: string, stream = "stdout") => sse("log", seq, { seq, stream, text });
export const metric = (name: string, step: number, value: number, id = 0) => sse("metric", id, { name, step, value });
export const end = (status: string | null, id = 0) => sse("end", id, { status });

const HEADERS = { "Content-Type": "text/event-stream" };

/** An answer that sends `messages` and closes (without `end`, unless one is among them). */
export function sseResponse(...messages: string[]): Response {
  const encoder = new TextEncoder();
  return new Response(
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (const message of messages) controller.enqueue(encoder.encode(message));
        controller.close();
      },
    }),
    { status: 200, headers: HEADERS },
  );
}

export type LiveSse = {
  response: Response;
  send: (...messages: string[]) => void;
  close: () => void;
  /** The connection breaks (a network error while reading). */
  fail: () => void;
  /** Whether the client went away (cancelled its read). */
  readonly cancelled: boolean;
};

/** An answer that stays open: the test sends what it wants, when it wants. */
export function liveSse(): LiveSse {
  const encoder = new TextEncoder();
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let cancelled = false;
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
    cancel() {
      cancelled = true;
    },
  });
  return {
    response: new Response(stream, { status: 200, headers: HEADERS }),
    send: (...messages) => {
      for (const message of messages) controller.enqueue(encoder.encode(message));
    },
    close: () => controller.close(),
    fail: () => controller.error(new TypeError("network error")),
    get cancelled() {
      return cancelled;
    },
  };
}
