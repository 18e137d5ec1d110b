import { useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useRef, useState } from "react";
import { isUnauthorized } from "../auth/hooks";
import { openTokenPrompt } from "../auth/promptStore";
import { readChatStream } from "./openai";
import {
  applyChatEvent,
  chatMessages,
  clock,
  endAnswer,
  failAnswer,
  isAnswering,
  newAnswer,
  stopAnswer,
  type Answer,
  type ChatSettings,
  type Turn,
} from "./playground";
import { servingKeys, streamChat } from "./queries";

const now = () => clock.now();

/**
 * A conversation with served models: one answer streams at a time; `stop` aborts it
 * (the server stops generating when the connection closes). Leaving the page stops it too.
 */
export function useChat() {
  const [turns, setTurns] = useState<Turn[]>([]);
  const queryClient = useQueryClient();
  const controller = useRef<AbortController | null>(null);
  const nextId = useRef(1);
  // The turns as of the last render: what `send` builds the next request from.
  const latestTurns = useRef(turns);
  useEffect(() => {
    latestTurns.current = turns;
  });
  useEffect(() => () => controller.current?.abort(), []);

  const update = useCallback((id: number, change: (answer: Answer) => Answer) => {
    setTurns((current) => current.map((turn) => (turn.id === id ? { ...turn, answer: change(turn.answer) } : turn)));
  }, []);

  const send = useCallback(
    async (model: string, prompt: string, settings: ChatSettings) => {
      if (controller.current) return;
      const abort = new AbortController();
      controller.current = abort;
      const id = nextId.current++;
      const messages = chatMessages(settings.system, latestTurns.current, prompt);
      setTurns((current) => [...current, { id, prompt, answer: newAnswer(model, now()) }]);
      try {
        const body = await streamChat({ model, messages, temperature: settings.temperature, maxTokens: settings.maxTokens }, abort.signal);
        for await (const event of readChatStream(body, abort.signal)) {
          const at = now();
          update(id, (answer) => applyChatEvent(answer, event, at));
        }
        const at = now();
        update(id, (answer) => (abort.signal.aborted ? stopAnswer(answer, at) : endAnswer(answer, at)));
      } catch (error) {
        const at = now();
        if (abort.signal.aborted) {
          update(id, (answer) => stopAnswer(answer, at));
        } else {
          update(id, (answer) => failAnswer(answer, error, at));
          // The same prompt the queries open; Retry sends it again once a token is saved.
          if (isUnauthorized(error)) openTokenPrompt();
        }
      } finally {
        if (controller.current === abort) controller.current = null;
        // A model may have been loaded, and its figures have moved.
        void queryClient.invalidateQueries({ queryKey: servingKeys.status() });
      }
    },
    [queryClient, update],
  );

  const stop = useCallback(() => controller.current?.abort(), []);

  /** Sends the last question again (with the settings now), in place of its answer. */
  const retry = useCallback(
    (model: string, settings: ChatSettings) => {
      const last = latestTurns.current.at(-1);
      if (!last || controller.current) return;
      latestTurns.current = latestTurns.current.slice(0, -1);
      setTurns(latestTurns.current);
      void send(model, last.prompt, settings);
    },
    [send],
  );

  const clear = useCallback(() => {
    controller.current?.abort();
    controller.current = null;
    latestTurns.current = [];
    setTurns([]);
  }, []);

  const last = turns.at(-1);
  return { turns, answering: last !== undefined && isAnswering(last.answer), send, stop, retry, clear };
}
