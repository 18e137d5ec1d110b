// How this browser likes its loss charts: the y scale and the smoothing, kept in
// localStorage so a second run page opens as the first was left.
import { useState } from "react";

export type LossChartSettings = {
  /** A log y axis: a loss falls by orders of magnitude, and a linear axis flattens its tail. */
  logScale: boolean;
  /** `smoothEma`'s weight; 0 draws the raw points only. */
  smoothing: number;
};

/** The smoothing weights offered, TensorBoard's range: 0 (off) to heavy. */
export const SMOOTHING_CHOICES = [0, 0.6, 0.8, 0.9, 0.95, 0.99] as const;

export const DEFAULT_LOSS_CHART_SETTINGS: LossChartSettings = { logScale: true, smoothing: 0 };

export const LOSS_CHART_STORAGE_KEY = "tunix-rt.loss-chart";

/** The settings saved by this browser, field by field over the defaults (storage off, nothing saved, or unreadable). */
export function readLossChartSettings(): LossChartSettings {
  const settings = { ...DEFAULT_LOSS_CHART_SETTINGS };
  try {
    const saved: unknown = JSON.parse(window.localStorage.getItem(LOSS_CHART_STORAGE_KEY) ?? "null");
    if (typeof saved !== "object" || saved === null) return settings;
    const { logScale, smoothing } = saved as Record<string, unknown>;
    if (typeof logScale === "boolean") settings.logScale = logScale;
    if (typeof smoothing === "number" && (SMOOTHING_CHOICES as readonly number[]).includes(smoothing)) settings.smoothing = smoothing;
  } catch {
    // Storage can be disabled (privacy modes) or hold something else: the defaults then.
  }
  return settings;
}

function saveLossChartSettings(settings: LossChartSettings): void {
  try {
    window.localStorage.setItem(LOSS_CHART_STORAGE_KEY, JSON.stringify(settings));
  } catch {
    // Not remembered: the choice holds until the page is left.
  }
}

/** The settings, and a setter that remembers a change. */
export function useLossChartSettings(): [LossChartSettings, (change: Partial<LossChartSettings>) => void] {
  const [settings, setSettings] = useState(readLossChartSettings);
  function update(change: Partial<LossChartSettings>) {
    const next = { ...settings, ...change };
    saveLossChartSettings(next);
    setSettings(next);
  }
  return [settings, update];
}
