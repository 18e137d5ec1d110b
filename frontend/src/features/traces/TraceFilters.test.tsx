import { screen, waitFor } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { json, mockFetch } from "../../test/fetchMock";
import { renderApp } from "../../test/render";
import { page, range } from "../../test/traces";

const SOURCES = { sources: ["arithmetic", "ungar"], truncated: false };

/** The list answers one page per request (two when asked for offset 0), whatever the filters. */
function listRoutes() {
  return mockFetch({
    "GET /api/traces": (request) => {
      const params = new URL(request.url).searchParams;
      if (params.get("q") === "nothing") return json(200, page([], 0, null));
      const offset = Number(params.get("offset"));
      return json(200, offset === 0 ? page(range(1, 20), 0, 20) : page(range(21, 3), offset, null));
    },
    "GET /api/traces/sources": () => json(200, SOURCES),
  });
}

function listCalls(paths: string[]): URLSearchParams[] {
  return paths
    .filter((p) => p.startsWith("GET /api/traces?"))
    .map((p) => new URLSearchParams(p.slice(p.indexOf("?") + 1)));
}

describe("trace filters", () => {
  it("searches prompts once typing pauses, not on every key", async () => {
    const { pathsCalled } = listRoutes();
    const { user } = renderApp("/traces");
    await screen.findAllByTestId("trace:row");

    await user.type(screen.getByTestId("trace:search"), "card");

    await waitFor(() => expect(listCalls(pathsCalled()).some((p) => p.get("q") === "card")).toBe(true));
    const searched = listCalls(pathsCalled()).map((p) => p.get("q")).filter(Boolean);
    expect(searched).toEqual(["card"]);
    expect(screen.getByLabelText("Search prompts")).toHaveValue("card");
  });

  it("reads its filters from the URL, so a search survives a reload", async () => {
    const { pathsCalled } = listRoutes();
    renderApp("/traces?q=card&source=ungar&scored=false");
    await screen.findAllByTestId("trace:row");

    expect(screen.getByTestId("trace:search")).toHaveValue("card");
    await waitFor(() => expect(screen.getByTestId("trace:filter-source")).toHaveValue("ungar"));
    expect(screen.getByTestId("trace:filter-scored")).toHaveValue("false");
    const [call] = listCalls(pathsCalled());
    expect(call?.get("q")).toBe("card");
    expect(call?.get("source")).toBe("ungar");
    expect(call?.get("scored")).toBe("false");
  });

  it("offers the stored sources, and keeps one from the URL that is not among them", async () => {
    listRoutes();
    renderApp("/traces?source=gsm8k");

    const select = await screen.findByTestId("trace:filter-source");
    await waitFor(() => expect(screen.getByRole("option", { name: "ungar" })).toBeInTheDocument());
    const options = Array.from(select.querySelectorAll("option")).map((o) => o.textContent);
    expect(options).toEqual(["Any source", "gsm8k", "arithmetic", "ungar"]);
  });

  it("filters by source and by scored, each from the first page", async () => {
    const { pathsCalled } = listRoutes();
    const { user } = renderApp("/traces?offset=20");
    await screen.findAllByTestId("trace:row");
    await screen.findByRole("option", { name: "arithmetic" });

    await user.selectOptions(screen.getByTestId("trace:filter-source"), "arithmetic");
    await waitFor(() => expect(listCalls(pathsCalled()).at(-1)?.get("source")).toBe("arithmetic"));
    expect(listCalls(pathsCalled()).at(-1)?.get("offset")).toBe("0");

    await user.selectOptions(screen.getByTestId("trace:filter-scored"), "Scored");
    await waitFor(() => expect(listCalls(pathsCalled()).at(-1)?.get("scored")).toBe("true"));
    expect(listCalls(pathsCalled()).at(-1)?.get("source")).toBe("arithmetic");
  });

  it("asks for whole local days: from the first one's midnight to the midnight after the last", async () => {
    const { pathsCalled } = listRoutes();
    const { user } = renderApp("/traces");
    await screen.findAllByTestId("trace:row");

    await user.type(screen.getByTestId("trace:filter-from"), "2026-12-01");
    await user.type(screen.getByTestId("trace:filter-to"), "2026-12-07");

    await waitFor(() => expect(listCalls(pathsCalled()).at(-1)?.get("created_to")).toBeTruthy());
    const call = listCalls(pathsCalled()).at(-1)!;
    expect(call.get("created_from")).toBe(new Date(2026, 11, 1).toISOString());
    expect(call.get("created_to")).toBe(new Date(2026, 11, 8).toISOString());
  });

  it("pages within the filters", async () => {
    const { pathsCalled } = listRoutes();
    const { user } = renderApp("/traces?q=what");
    await screen.findAllByTestId("trace:row");

    await user.click(screen.getByTestId("trace:next-page"));

    expect(await screen.findByText("21–23")).toBeInTheDocument();
    const call = listCalls(pathsCalled()).at(-1)!;
    expect(call.get("q")).toBe("what");
    expect(call.get("offset")).toBe("20");
  });

  it("says when nothing matches, and clears every filter at once", async () => {
    const { pathsCalled } = listRoutes();
    const { user } = renderApp("/traces?q=nothing&scored=true");

    expect(await screen.findByTestId("trace:empty")).toHaveTextContent("No traces match these filters.");
    await user.click(screen.getByTestId("trace:clear-filters"));

    expect(await screen.findAllByTestId("trace:row")).toHaveLength(20);
    expect(screen.getByTestId("trace:search")).toHaveValue("");
    expect(screen.getByTestId("trace:filter-scored")).toHaveValue("");
    const call = listCalls(pathsCalled()).at(-1)!;
    expect([...call.keys()].sort()).toEqual(["limit", "offset"]);
    expect(screen.getByTestId("trace:clear-filters")).toBeDisabled();
  });

  it("shows a refused filter's message from the server", async () => {
    mockFetch({
      "GET /api/traces": () =>
        json(422, {
          error: "ValidationError",
          detail: [{ loc: ["query", "created_to"], msg: "must not be before created_from", type: "value_error" }],
        }),
      "GET /api/traces/sources": () => json(200, SOURCES),
    });
    renderApp("/traces?from=2026-12-07&to=2026-12-01");

    expect(await screen.findByTestId("sys:error")).toHaveTextContent("must not be before created_from");
  });
});
