import { useEffect, useRef, useState } from "react";

/**
 * A text box whose value lives elsewhere (the URL): what is typed is committed once typing
 * pauses for `delayMs`, or at once with `commit` (Enter). A change of `value` from
 * elsewhere (Clear filters, a chip, Back) replaces what is typed; our own commit, coming
 * back trimmed, leaves the text and the caret alone.
 */
export function useDebouncedCommit(value: string | null, onCommit: (value: string | null) => void, delayMs: number) {
  const [text, setText] = useState(value ?? "");
  const [committed, setCommitted] = useState(value);
  const timer = useRef<number | undefined>(undefined);
  // The timer calls the latest onCommit: the one of the render that set it holds the URL
  // of then, and would undo a filter chosen while typing.
  const latestCommit = useRef(onCommit);
  useEffect(() => {
    latestCommit.current = onCommit;
  });
  if (committed !== value) {
    setCommitted(value);
    if ((text.trim() || null) !== value) setText(value ?? "");
  }
  useEffect(() => {
    const pending = timer;
    return () => window.clearTimeout(pending.current);
  }, []);

  function commit(next: string) {
    window.clearTimeout(timer.current);
    latestCommit.current(next.trim() || null);
  }

  function change(next: string) {
    setText(next);
    window.clearTimeout(timer.current);
    timer.current = window.setTimeout(() => commit(next), delayMs);
  }

  return { text, change, commit };
}
