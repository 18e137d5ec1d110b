import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { json, mockFetch } from "../../test/fetchMock";
import { datasetPage, datasetsPageRoutes } from "../../test/datasets";
import { range } from "../../test/traces";
import { renderApp } from "../../test/render";

function pagedList() {
  return mockFetch(
    datasetsPageRoutes({
      "GET /api/datasets": (request) => {
        const offset = Number(new URL(request.url).searchParams.get("offset"));
        return offset === 0 ? json(200, datasetPage(range(1, 20), 0, 20)) : json(200, datasetPage(range(21, 3), 20, null));
      },
    }),
  );
}

describe("dataset list", () => {
  it("shows each dataset's key, counts and description, linking to its page", async () => {
    pagedList();
    renderApp("/datasets");

    const rows = await screen.findAllByTestId("dataset:row");
    expect(rows).toHaveLength(20);
    const first = rows[0]!;
    expect(within(first).getByRole("link", { name: "duels-v1" })).toHaveAttribute("href", "/datasets/duels-v1");
    expect(first).toHaveTextContent("27 / 3");
    expect(first).toHaveTextContent("Duels, version 1");
    expect(rows[1]).toHaveTextContent("—");
    expect(first.querySelector("time")).toHaveAttribute("dateTime", "2025-03-01T12:00:00Z");
  });

  it("pages with offset and next_offset", async () => {
    const { pathsCalled } = pagedList();
    const { user } = renderApp("/datasets");

    await screen.findAllByTestId("dataset:row");
    expect(screen.getByTestId("dataset:prev-page")).toBeDisabled();
    await user.click(screen.getByTestId("dataset:next-page"));

    expect(await screen.findByText("21–23")).toBeInTheDocument();
    expect(screen.getAllByTestId("dataset:row")).toHaveLength(3);
    expect(screen.getByTestId("dataset:next-page")).toBeDisabled();
    expect(pathsCalled()).toContain("GET /api/datasets?limit=20&offset=20");

    await user.click(screen.getByTestId("dataset:prev-page"));
    expect(await screen.findByText("1–20")).toBeInTheDocument();
  });

  it("says when there are no datasets yet", async () => {
    mockFetch(datasetsPageRoutes());
    renderApp("/datasets");
    expect(await screen.findByText(/No datasets yet/)).toBeInTheDocument();
  });

  it("is reached from the main navigation", async () => {
    mockFetch({ ...datasetsPageRoutes(), "GET /api/traces": () => json(200, { data: [], pagination: { limit: 20, offset: 0, next_offset: null } }) });
    const { user } = renderApp("/traces");

    await user.click(screen.getByTestId("sys:nav-datasets"));
    expect(await screen.findByTestId("dataset:build-form")).toBeInTheDocument();
    expect(screen.getByTestId("sys:nav-datasets")).toHaveAttribute("aria-current", "page");
  });
});
