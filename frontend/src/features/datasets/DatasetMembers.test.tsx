import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { datasetMembers, manifest, membersRoute } from "../../test/datasets";
import { apiError, json, mockFetch, type RouteHandler } from "../../test/fetchMock";
import { datasetLineage } from "../../test/models";
import { renderApp } from "../../test/render";

function routes(members: RouteHandler, overrides: Record<string, unknown> = {}): Record<string, RouteHandler> {
  return {
    "GET /api/datasets/:key": () => json(200, manifest(overrides)),
    "GET /api/datasets/:key/lineage": () => json(200, datasetLineage({ runs: [] })),
    "GET /api/datasets/:key/traces": members,
  };
}

function memberCalls(pathsCalled: () => string[]): string[] {
  return pathsCalled().filter((p) => p.startsWith("GET /api/datasets/duels-v1/traces"));
}

function rowsShown() {
  return screen.getAllByTestId("dataset:member");
}

describe("dataset page: its traces by split", () => {
  it("lists every member in dataset order, each linked to its trace, with the stored split sizes on the tabs", async () => {
    const { pathsCalled } = mockFetch(routes(membersRoute()));
    renderApp("/datasets/duels-v1");

    const table = await screen.findByTestId("dataset:members-table");
    expect(within(table).getAllByTestId("dataset:member")).toHaveLength(30);
    const [first] = rowsShown();
    const member = datasetMembers()[0]!;
    expect(first).toHaveTextContent("0train");
    expect(within(first!).getByRole("link", { name: member.prompt_preview })).toHaveAttribute("href", `/traces/${member.trace_id}`);
    expect(first).toHaveTextContent(member.final_answer);

    const tabs = screen.getAllByRole("tab").map((tab) => tab.textContent);
    expect(tabs).toEqual(["All30", "Train27", "Eval3"]);
    expect(screen.getByTestId("dataset:members-tab-all")).toHaveAttribute("aria-selected", "true");
    expect(screen.getByTestId("dataset:members-range")).toHaveTextContent("1–30 of 30");
    expect(screen.getByTestId("dataset:members-next")).toBeDisabled();
    expect(memberCalls(pathsCalled)).toEqual(["GET /api/datasets/duels-v1/traces?split=all&limit=50&offset=0"]);
  });

  it("shows only the held-out traces on the Eval tab", async () => {
    const { pathsCalled } = mockFetch(routes(membersRoute()));
    const { user } = renderApp("/datasets/duels-v1");
    await screen.findByTestId("dataset:members-table");

    await user.click(screen.getByRole("tab", { name: /Eval/ }));
    await waitFor(() => expect(rowsShown()).toHaveLength(3));
    expect(rowsShown().map((row) => row.dataset.split)).toEqual(["eval", "eval", "eval"]);
    expect(rowsShown().map((row) => row.querySelector("td")?.textContent)).toEqual(["4", "14", "24"]);
    expect(screen.getByTestId("dataset:members-tab-eval")).toHaveAttribute("aria-selected", "true");
    expect(memberCalls(pathsCalled).at(-1)).toBe("GET /api/datasets/duels-v1/traces?split=eval&limit=50&offset=0");
  });

  it("pages through a split, and starts from the split and page in the address", async () => {
    const big = { trace_count: 120, split: { train: 108, eval: 12 } };
    const { pathsCalled } = mockFetch(routes(membersRoute(120), big));
    const { user } = renderApp("/datasets/duels-v1?split=train&offset=50");

    await waitFor(() => expect(screen.getByTestId("dataset:members-range")).toHaveTextContent("51–100 of 108"));
    expect(rowsShown()[0]).toHaveTextContent("High Card Duel 56: who wins?");
    await user.click(screen.getByTestId("dataset:members-next"));
    await waitFor(() => expect(screen.getByTestId("dataset:members-range")).toHaveTextContent("101–108 of 108"));
    expect(screen.getByTestId("dataset:members-next")).toBeDisabled();
    await user.click(screen.getByTestId("dataset:members-prev"));
    await waitFor(() => expect(screen.getByTestId("dataset:members-range")).toHaveTextContent("51–100 of 108"));
    expect(memberCalls(pathsCalled)).toEqual([
      "GET /api/datasets/duels-v1/traces?split=train&limit=50&offset=50",
      "GET /api/datasets/duels-v1/traces?split=train&limit=50&offset=100",
    ]);

    // A new tab starts from its first page.
    await user.click(screen.getByRole("tab", { name: /All/ }));
    await waitFor(() => expect(screen.getByTestId("dataset:members-range")).toHaveTextContent("1–50 of 120"));
  });

  it("shows its load error from {error, detail}, and an empty split in words", async () => {
    mockFetch(routes(() => apiError(503, "Unavailable", "database is busy")));
    const view = renderApp("/datasets/duels-v1");
    expect(await within(await screen.findByTestId("dataset:members")).findByTestId("sys:error")).toHaveTextContent(
      "Could not load its traces: Unavailable (HTTP 503) — database is busy",
    );
    expect(screen.getByTestId("dataset:detail")).toBeInTheDocument();
    view.unmount();

    const empty = () => json(200, { data: [], pagination: { limit: 50, offset: 0, next_offset: null, next_cursor: null } });
    mockFetch(routes(empty, { split: { train: 30, eval: 0 } }));
    renderApp("/datasets/duels-v1?split=eval");
    expect(await screen.findByTestId("dataset:members-empty")).toHaveTextContent("No traces in this split.");
  });
});
