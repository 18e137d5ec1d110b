import type uPlot from "uplot";

/**
 * Stands in for uPlot in tests: jsdom has no canvas (nor matchMedia, which uPlot reads
 * when imported). Keeps what the chart was given, so tests can check options and data.
 */
export class FakeUPlot {
  static instances: FakeUPlot[] = [];
  readonly root: HTMLElement;
  opts: uPlot.Options;
  data: uPlot.AlignedData;
  size: { width: number; height: number };
  destroyed = false;

  constructor(opts: uPlot.Options, data: uPlot.AlignedData, target: HTMLElement) {
    this.opts = opts;
    this.data = data;
    this.size = { width: opts.width, height: opts.height };
    this.root = document.createElement("div");
    this.root.className = "uplot";
    target.append(this.root);
    FakeUPlot.instances.push(this);
  }

  setData(data: uPlot.AlignedData): void {
    this.data = data;
  }

  setSize(size: { width: number; height: number }): void {
    this.size = size;
  }

  destroy(): void {
    this.destroyed = true;
    this.root.remove();
  }

  /** The live charts (not destroyed), newest last. */
  static live(): FakeUPlot[] {
    return FakeUPlot.instances.filter((chart) => !chart.destroyed);
  }
}
