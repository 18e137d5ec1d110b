import { lazy, Suspense, type ComponentProps } from "react";
import type { LineChart } from "./LineChart";

// uPlot is ~22 KB gzipped: only the pages with a chart load it.
const Chart = lazy(() => import("./LineChart").then((module) => ({ default: module.LineChart })));

/** `LineChart`, loaded on first use. */
export function LazyLineChart(props: ComponentProps<typeof LineChart>) {
  return (
    <Suspense fallback={<p className="muted chart-loading">Loading the chart…</p>}>
      <Chart {...props} />
    </Suspense>
  );
}
