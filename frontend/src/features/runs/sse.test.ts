import { describe, expect, it } from "vitest";
import { createSseParser, readSse, type SseMessage } from "./sse";

function parse(...chunks: string[]): SseMessage[] {
  const messages: SseMessage[] = [];
  const parser = createSseParser((message) => messages.push(message));
  for (const chunk of chunks) parser.push(chunk);
  parser.end();
  return messages;
}

function body(...chunks: (string | Uint8Array)[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(typeof chunk === "string" ? encoder.encode(chunk) : chunk);
      controller.close();
    },
  });
}

describe("SSE parsing", () => {
  it("reads the event, id and data of each message, as sse-starlette writes them", () => {
    expect(parse('id: 0\r\nevent: status\r\ndata: {"status":"running"}\r\n\r\nid: 1\r\nevent: log\r\ndata: {"seq":1}\r\n\r\n')).toEqual([
      { event: "status", id: "0", data: '{"status":"running"}' },
      { event: "log", id: "1", data: '{"seq":1}' },
    ]);
  });

  it("joins a message however its text is split across chunks, CRLF included", () => {
    const text = 'id: 7\r\nevent: log\r\ndata: {"seq":7,"text":"a\\n"}\r\n\r\n';
    const whole = parse(text);
    for (let cut = 1; cut < text.length; cut++) {
      expect(parse(text.slice(0, cut), text.slice(cut))).toEqual(whole);
    }
    // One byte at a time.
    expect(parse(...text.split(""))).toEqual(whole);
  });

  it("accepts LF and CR line ends, joins data lines, and defaults the event to message", () => {
    expect(parse("data: one\ndata: two\n\n", "data:three\r\rdata\n\n")).toEqual([
      { event: "message", id: null, data: "one\ntwo" },
      { event: "message", id: null, data: "three" },
      { event: "message", id: null, data: "" },
    ]);
  });

  it("skips comments (keep-alive pings) and messages without data, and keeps the last id", () => {
    expect(parse(": ping - 2025-03-01\r\n\r\nid: 4\nevent: heartbeat\n\nevent: end\ndata: {}\n\n")).toEqual([
      { event: "end", id: "4", data: "{}" },
    ]);
  });

  it("drops a message the stream cut off before its blank line, and a leading BOM", () => {
    expect(parse("\uFEFFdata: whole\n\ndata: cut off")).toEqual([{ event: "message", id: null, data: "whole" }]);
  });

  it("reads messages from a body, decoding UTF-8 split between chunks", async () => {
    const bytes = new TextEncoder().encode("data: héllo ✓\n\n");
    const seen: SseMessage[] = [];
    let reads = 0;
    for await (const message of readSse(body(bytes.slice(0, 8), bytes.slice(8), "event: end\ndata: {}\n\n"), { onBytes: () => reads++ })) {
      seen.push(message);
    }
    expect(seen.map((m) => m.data)).toEqual(["héllo ✓", "{}"]);
    expect(reads).toBe(3);
  });

  it("stops reading when the consumer leaves early", async () => {
    let cancelled = false;
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode("data: 1\n\ndata: 2\n\n"));
      },
      cancel() {
        cancelled = true;
      },
    });
    for await (const message of readSse(stream)) {
      expect(message.data).toBe("1");
      break;
    }
    expect(cancelled).toBe(true);
  });

  it("ends when its signal aborts, even while the body is silent", async () => {
    const controller = new AbortController();
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode("data: first\n\n"));
      },
    });
    const seen: string[] = [];
    const reading = (async () => {
      for await (const message of readSse(stream, { signal: controller.signal })) seen.push(message.data);
    })();
    await new Promise((resolve) => setTimeout(resolve, 10));
    controller.abort();
    await reading;
    expect(seen).toEqual(["first"]);
  });
});
