import { useSyncExternalStore } from "react";

const DARK_QUERY = "(prefers-color-scheme: dark)";

/** `var(--name)` or `var(--name, fallback)`. */
const CSS_VARIABLE = /^var\(\s*(--[\w-]+)\s*(?:,\s*(.+))?\)$/s;

/**
 * The colour a canvas can draw with: `color` itself, or the value of the CSS variable it
 * names as `element` sees it (so it follows the light/dark theme), else its fallback.
 * A canvas takes no `var()`: given one, it keeps its previous colour (black at first).
 */
export function resolveColor(color: string, element: Element): string {
  const match = CSS_VARIABLE.exec(color.trim());
  if (!match) return color;
  const value = getComputedStyle(element).getPropertyValue(match[1]!).trim();
  if (value) return value;
  return match[2] ? resolveColor(match[2], element) : color;
}

function prefersDark(): boolean {
  return typeof window.matchMedia === "function" && window.matchMedia(DARK_QUERY).matches;
}

function subscribe(onChange: () => void): () => void {
  if (typeof window.matchMedia !== "function") return () => {};
  const query = window.matchMedia(DARK_QUERY);
  query.addEventListener("change", onChange);
  return () => query.removeEventListener("change", onChange);
}

/**
 * Whether the system asks for dark colours, re-rendering when it changes: what is drawn
 * on a canvas (colours read once) must be drawn again. False where there is no matchMedia (jsdom).
 */
export function usePrefersDark(): boolean {
  return useSyncExternalStore(subscribe, prefersDark, () => false);
}
