/// <reference types="node" />
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

// Read from disk: vitest hands a stylesheet import (even `?raw`) over empty.
const styles = readFileSync(join(import.meta.dirname, "styles.css"), "utf8");

const COLOR_VALUE = /^(#[0-9a-f]{3,8}|rgba?\(.*\))$/i;
const DARK_MEDIA = "@media (prefers-color-scheme: dark)";

/** The `--name: value` declarations of the first `:root { … }` in `css`. */
function rootVariables(css: string): Map<string, string> {
  const start = css.indexOf(":root {");
  expect(start).toBeGreaterThanOrEqual(0);
  const body = css.slice(start, css.indexOf("}", start));
  return new Map([...body.matchAll(/(--[\w-]+):\s*([^;]+);/g)].map((match) => [match[1]!, match[2]!.trim()]));
}

/** `css` without the two :root blocks (the light and the dark theme), nor comments. */
function rulesOutsideTheme(css: string): string {
  const withoutComments = css.replace(/\/\*[\s\S]*?\*\//g, "");
  const lightEnd = withoutComments.indexOf("}", withoutComments.indexOf(":root {"));
  const dark = withoutComments.indexOf(DARK_MEDIA);
  const darkEnd = withoutComments.indexOf("}\n}", dark) + 3;
  return withoutComments.slice(lightEnd, dark) + withoutComments.slice(darkEnd);
}

describe("stylesheet themes", () => {
  const light = rootVariables(styles);
  const dark = rootVariables(styles.slice(styles.indexOf(DARK_MEDIA)));

  it("follows the system's setting, with a dark value for every colour of the light theme", () => {
    expect(styles).toContain("color-scheme: light dark;");
    expect(styles).toContain(DARK_MEDIA);
    const colors = [...light].filter(([, value]) => COLOR_VALUE.test(value)).map(([name]) => name);
    expect(colors.length).toBeGreaterThan(20);
    expect(colors.filter((name) => !dark.has(name))).toEqual([]);
    expect([...dark.keys()].filter((name) => !light.has(name))).toEqual([]);
  });

  it("writes no colour in a rule: each comes from a theme variable", () => {
    expect(rulesOutsideTheme(styles).match(/#[0-9a-f]{3,8}\b|rgba?\([^)]*\)/gi) ?? []).toEqual([]);
  });
});
