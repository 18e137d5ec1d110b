// Whether the token prompt is open, and who wants to hear that a token was saved.
// A module store (not React state) because the QueryClient's error hooks, which live
// outside React, are what open the prompt on a 401.
type Listener = () => void;

let open = false;
const openListeners = new Set<Listener>();
const savedListeners = new Set<Listener>();

export function isTokenPromptOpen(): boolean {
  return open;
}

function setOpen(next: boolean): void {
  if (open === next) return;
  open = next;
  for (const listener of openListeners) listener();
}

export function openTokenPrompt(): void {
  setOpen(true);
}

export function closeTokenPrompt(): void {
  setOpen(false);
}

export function subscribeTokenPrompt(listener: Listener): () => void {
  openListeners.add(listener);
  return () => openListeners.delete(listener);
}

/** Called after a token was saved; failed requests subscribe to retry themselves. */
export function onTokenSaved(listener: Listener): () => void {
  savedListeners.add(listener);
  return () => savedListeners.delete(listener);
}

export function announceTokenSaved(): void {
  for (const listener of [...savedListeners]) listener();
}

export function resetTokenPromptForTests(): void {
  open = false;
  openListeners.clear();
  savedListeners.clear();
}
