import { describe, expect, it } from "vitest";
import { SERVED_MODELS } from "../../test/playground";
import { StreamError, type ChatStreamEvent, type ServedModel } from "./openai";
import {
  answerFigures,
  applyChatEvent,
  chatMessages,
  endAnswer,
  groupModels,
  newAnswer,
  playgroundPath,
  readSettings,
  stopAnswer,
  type Answer,
  type Turn,
} from "./playground";

const chunk = (reasoning: string, content: string, extra: Partial<Extract<ChatStreamEvent, { type: "chunk" }>> = {}): ChatStreamEvent => ({
  type: "chunk",
  reasoning,
  content,
  finishReason: null,
  usage: null,
  ...extra,
});

function replay(events: [ChatStreamEvent, number][], start = 1_000): Answer {
  return events.reduce((answer, [event, at]) => applyChatEvent(answer, event, at), newAnswer("m:prod", start));
}

function turn(id: number, prompt: string, answer: Partial<Answer>): Turn {
  return { id, prompt, answer: { ...newAnswer("m:prod", 0), status: "done", ...answer } };
}

describe("playground links", () => {
  it("keeps a served name readable in the query, and encodes what must be", () => {
    expect(playgroundPath()).toBe("/playground");
    expect(playgroundPath("hcd:prod")).toBe("/playground?model=hcd:prod");
    expect(playgroundPath("hcd@v3")).toBe("/playground?model=hcd@v3");
    expect(playgroundPath("tunix-rt/tiny-gemma3")).toBe("/playground?model=tunix-rt/tiny-gemma3");
    expect(playgroundPath("a b&c")).toBe("/playground?model=a%20b%26c");
    expect(new URLSearchParams(playgroundPath("hcd:prod").split("?")[1]).get("model")).toBe("hcd:prod");
  });
});

describe("model groups", () => {
  it("groups the served models by source in a fixed order, leaving out empty groups", () => {
    const models = [...SERVED_MODELS].reverse() as ServedModel[];
    expect(groupModels(models).map((g) => [g.label, g.models.map((m) => m.id)])).toEqual([
      ["Aliases & versions", ["duel-reasoner@v2", "duel-reasoner:prod"]],
      ["Training runs", [SERVED_MODELS[2]!.id]],
      ["Built-in", ["tunix-rt/tiny-gemma3"]],
      ["Checkpoints", ["google/gemma-3-1b-it"]],
    ]);
    expect(groupModels(models.filter((m) => m.source === "builtin")).map((g) => g.source)).toEqual(["builtin"]);
  });
});

describe("an answer as it streams", () => {
  it("grows its reasoning and content apart, and keeps the finish reason and usage", () => {
    const answer = replay([
      [chunk("", ""), 1_100],
      [chunk("Compare ", ""), 1_250],
      [chunk("the cards.", ""), 1_300],
      [chunk("", "Answer: "), 1_400],
      [chunk("11", ""), 1_500],
      [chunk("", "", { finishReason: "length" }), 2_200],
      [chunk("", "", { usage: { prompt_tokens: 20, completion_tokens: 40, total_tokens: 60 } }), 2_250],
      [{ type: "done" }, 2_260],
    ]);
    expect(answer).toMatchObject({
      status: "done",
      reasoning: "Compare the cards.11",
      content: "Answer: ",
      finishReason: "length",
      usage: { completion_tokens: 40 },
      firstTokenAt: 1_250, // the role chunk carries no text
      endedAt: 2_250, // the usage chunk
    });
    // 40 tokens in the 1 s from the first text to the usage chunk; 250 ms to the first text.
    expect(answerFigures(answer)).toEqual({ ttftSeconds: 0.25, tokensPerSecond: 40, rateBasis: "generation" });
  });

  it("times an answer that came in one burst from sending, not over a window too short to time", () => {
    const usage = { prompt_tokens: 100, completion_tokens: 24, total_tokens: 124 };
    const burst = replay([
      [chunk("", "all of it"), 1_799.5],
      [chunk("", "", { usage }), 1_800],
      [{ type: "done" }, 1_800],
    ]);
    // 24 tokens 800 ms after sending; not 24 in half a millisecond.
    expect(answerFigures(burst)).toEqual({ ttftSeconds: 0.7995, tokensPerSecond: 30, rateBasis: "request" });
  });

  it("has no speed without usage (stopped) and no TTFT before any text", () => {
    const waiting = newAnswer("m", 0);
    expect(answerFigures(waiting)).toEqual({ ttftSeconds: null, tokensPerSecond: null, rateBasis: null });
    const stopped = stopAnswer(replay([[chunk("", "Hi"), 1_500]]), 1_800);
    expect(stopped.status).toBe("stopped");
    expect(answerFigures(stopped)).toEqual({ ttftSeconds: 0.5, tokensPerSecond: null, rateBasis: null });
  });

  it("fails on an error event and ignores whatever comes after it", () => {
    const error = new StreamError("The model process exited.", "model_crashed");
    const failed = replay([
      [chunk("", "Par"), 1_100],
      [{ type: "error", error }, 1_200],
      [chunk("", "tial"), 1_300],
    ]);
    expect(failed).toMatchObject({ status: "failed", content: "Par", error, endedAt: 1_200 });
    expect(stopAnswer(failed, 2_000)).toBe(failed);
  });

  it("fails an answer whose body ended before [DONE]", () => {
    const cut = endAnswer(replay([[chunk("", "Half"), 1_100]]), 1_200);
    expect(cut.status).toBe("failed");
    expect(String(cut.error)).toContain("closed before the answer was finished");
    const finished = replay([[{ type: "done" }, 1_100]]);
    expect(endAnswer(finished, 1_200)).toBe(finished);
  });
});

describe("the messages of the next turn", () => {
  it("sends the system prompt, then each answered turn's question and answer (never its reasoning), then the new question", () => {
    const turns = [
      turn(1, "What is 9 + 2?", { reasoning: "9 and 2 make 11.", content: "11" }),
      turn(2, "Why?", { status: "failed", error: new Error("x") }),
      turn(3, "Think hard", { status: "stopped", reasoning: "Hmm", content: "" }),
      turn(4, "And 3 + 4?", { status: "stopped", content: "7 bec" }),
    ];
    expect(chatMessages("Be brief.", turns, "And 5 + 5?")).toEqual([
      { role: "system", content: "Be brief." },
      { role: "user", content: "What is 9 + 2?" },
      { role: "assistant", content: "11" },
      { role: "user", content: "And 3 + 4?" },
      { role: "assistant", content: "7 bec" },
      { role: "user", content: "And 5 + 5?" },
    ]);
    expect(chatMessages("  ", [], "Hi")).toEqual([{ role: "user", content: "Hi" }]);
  });
});

describe("settings", () => {
  it("reads temperature and max tokens, blank max tokens as the server's default", () => {
    expect(readSettings({ temperature: "0", maxTokens: "", system: "" })).toEqual({
      settings: { temperature: 0, maxTokens: null, system: "" },
      errors: [],
    });
    expect(readSettings({ temperature: "0.7", maxTokens: " 128 ", system: "Be brief." }).settings).toEqual({
      temperature: 0.7,
      maxTokens: 128,
      system: "Be brief.",
    });
  });

  it("refuses a temperature out of 0..2 and a max tokens that is not a whole number of 1 or more", () => {
    for (const [temperature, maxTokens, fields] of [
      ["", "", ["temperature"]],
      ["2.5", "", ["temperature"]],
      ["-1", "0", ["temperature", "max_tokens"]],
      ["1", "1.5", ["max_tokens"]],
      ["1", "abc", ["max_tokens"]],
    ] as const) {
      const { settings, errors } = readSettings({ temperature, maxTokens, system: "" });
      expect(settings).toBeNull();
      expect(errors.map((e) => e.loc[1])).toEqual(fields);
    }
  });
});
