import { describe, expect, it } from "vitest";
import {
  hasStarted,
  isLive,
  pollDelay,
  readListQuery,
  RUN_POLL_INTERVAL_MS,
  RUN_POLL_MAX_INTERVAL_MS,
  runPath,
  secondsBetween,
  runName,
  shortRunId,
  tagPath,
  withListQuery,
} from "./history";

describe("run history helpers", () => {
  it("calls only pending and running live", () => {
    expect(["pending", "running"].every((s) => isLive(s as "pending"))).toBe(true);
    expect((["completed", "failed", "timeout", "cancelled"] as const).some(isLive)).toBe(false);
  });

  it("polls every 4 s while something is live, never otherwise", () => {
    const ok = { status: "success" as const, dataUpdatedAt: 1_000 };
    expect(pollDelay(true, ok, 2_000)).toBe(RUN_POLL_INTERVAL_MS);
    expect(pollDelay(false, ok, 2_000)).toBe(false);
    expect(pollDelay(false, { status: "error", dataUpdatedAt: 0 }, 100_000)).toBe(false);
  });

  it("backs off after failed polls: the time since the last success, from 4 s up to 60 s", () => {
    const failing = { status: "error" as const, dataUpdatedAt: 10_000 };
    expect(pollDelay(true, failing, 10_500)).toBe(RUN_POLL_INTERVAL_MS);
    expect(pollDelay(true, failing, 14_000)).toBe(4_000);
    expect(pollDelay(true, failing, 18_000)).toBe(8_000);
    expect(pollDelay(true, failing, 26_000)).toBe(16_000);
    expect(pollDelay(true, failing, 1_000_000)).toBe(RUN_POLL_MAX_INTERVAL_MS);
  });

  it("reads the history's filters from the URL, ignoring values the API does not know", () => {
    expect(readListQuery(new URLSearchParams("status=failed&mode=all&dataset_key=duels-v2&tag=lr-sweep&q=+base+&offset=40"))).toEqual({
      view: "all",
      status: "failed",
      datasetKey: "duels-v2",
      tag: "lr-sweep",
      q: "base",
      offset: 40,
    });
    expect(readListQuery(new URLSearchParams("status=lost&mode=remote&dataset_key=&tag=&q=%20&offset=-3"))).toEqual({
      view: "training",
      status: null,
      datasetKey: null,
      tag: null,
      q: null,
      offset: 0,
    });
  });

  it("lists training runs unless the URL asks for dry runs or all", () => {
    expect(readListQuery(new URLSearchParams("")).view).toBe("training");
    expect(readListQuery(new URLSearchParams("mode=local")).view).toBe("training");
    expect(readListQuery(new URLSearchParams("mode=dry-run")).view).toBe("dry-runs");
    expect(readListQuery(new URLSearchParams("mode=all")).view).toBe("all");
  });

  it("writes the filters back, keeping the run form's dataset and dropping empty values and the default view", () => {
    const params = new URLSearchParams("dataset=duels-v1&status=failed&offset=20");
    const base = { status: null, datasetKey: "a b", tag: null, q: null, offset: 0 };
    expect(withListQuery(params, { ...base, view: "dry-runs" }).toString()).toBe("dataset=duels-v1&mode=dry-run&dataset_key=a+b");
    expect(withListQuery(params, { ...base, view: "training", tag: "x", q: "my run" }).toString()).toBe(
      "dataset=duels-v1&dataset_key=a+b&tag=x&q=my+run",
    );
    expect(params.toString()).toBe("dataset=duels-v1&status=failed&offset=20");
  });

  it("links a tag to the history of runs of the same kind", () => {
    expect(tagPath("lr-sweep", "local")).toBe("/runs?tag=lr-sweep");
    expect(tagPath("a:b", "dry-run")).toBe("/runs?mode=dry-run&tag=a%3Ab");
  });

  it("names runs and their pages", () => {
    expect(shortRunId("8c1f0e2a-0000-4000-8000-000000000001")).toBe("8c1f0e2a");
    expect(runName({ run_id: "8c1f0e2a-0000-4000-8000-000000000001", name: null })).toBe("8c1f0e2a");
    expect(runName({ run_id: "8c1f0e2a-0000-4000-8000-000000000001", name: "baseline" })).toBe("baseline");
    expect(runPath("8c1f0e2a-0000-4000-8000-000000000001")).toBe("/runs/8c1f0e2a-0000-4000-8000-000000000001");
  });

  it("measures seconds between instants, when both are known", () => {
    expect(secondsBetween("2025-03-01T12:00:00Z", "2025-03-01T12:00:03.5Z")).toBe(3.5);
    expect(secondsBetween(null, "2025-03-01T12:00:03Z")).toBeNull();
    expect(secondsBetween("2025-03-01T12:00:00Z", "not a time")).toBeNull();
  });

  it("knows a queued run has not started, whatever its started_at says", () => {
    expect(hasStarted({ status: "pending", attempt: 0 })).toBe(false);
    expect(hasStarted({ status: "pending", attempt: 1 })).toBe(false);
    expect(hasStarted({ status: "cancelled", attempt: 0 })).toBe(false);
    expect(hasStarted({ status: "running", attempt: 1 })).toBe(true);
    expect(hasStarted({ status: "completed", attempt: 2 })).toBe(true);
  });
});
