import { renderHook, act } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { resolveColor, usePrefersDark } from "./themeColors";

function element(variables: Record<string, string> = {}): HTMLElement {
  const node = document.createElement("div");
  for (const [name, value] of Object.entries(variables)) node.style.setProperty(name, value);
  document.body.append(node);
  return node;
}

afterEach(() => {
  document.body.innerHTML = "";
});

describe("theme colours", () => {
  it("reads a var() from the stylesheet, else its fallback; a plain colour is itself", () => {
    const themed = element({ "--compare-1": " #56b4e9" });
    expect(resolveColor("var(--compare-1, #0072b2)", themed)).toBe("#56b4e9");
    expect(resolveColor("var(--missing, #0072b2)", themed)).toBe("#0072b2");
    expect(resolveColor("var(--missing, var(--compare-1))", themed)).toBe("#56b4e9");
    expect(resolveColor("#dd6b20", themed)).toBe("#dd6b20");
  });

  it("says whether the system prefers dark, and re-renders when it changes", () => {
    const listeners = new Set<() => void>();
    const query = { matches: false, addEventListener: (_: string, f: () => void) => listeners.add(f), removeEventListener: (_: string, f: () => void) => listeners.delete(f) };
    vi.stubGlobal("matchMedia", (text: string) => {
      expect(text).toBe("(prefers-color-scheme: dark)");
      return query;
    });
    const { result, unmount } = renderHook(() => usePrefersDark());
    expect(result.current).toBe(false);

    act(() => {
      query.matches = true;
      listeners.forEach((listener) => listener());
    });
    expect(result.current).toBe(true);
    unmount();
    expect(listeners.size).toBe(0);
    vi.unstubAllGlobals();
  });
});
