import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { apiError, json, mockFetch } from "../../test/fetchMock";
import { datasetsPageRoutes, manifest } from "../../test/datasets";
import { renderApp } from "../../test/render";

async function bodiesOf(requests: Request[], method: string, path: string): Promise<unknown[]> {
  const matching = requests.filter((r) => r.method === method && new URL(r.url).pathname === path);
  return Promise.all(matching.map((r) => r.clone().json()));
}

describe("dataset build form", () => {
  it("shows how many traces match once typing pauses", async () => {
    const { requests } = mockFetch(
      datasetsPageRoutes({
        "POST /api/datasets/preview": async (request) => {
          const body = (await request.json()) as { filters: { source?: string } };
          return json(200, body.filters.source === "ungar" ? { matching: 30, selected: 30 } : { matching: 55, selected: 55 });
        },
      }),
    );
    const { user } = renderApp("/datasets");

    await waitFor(() => expect(screen.getByTestId("dataset:preview")).toHaveTextContent("55 traces match, 55 would be taken"));
    await user.type(screen.getByTestId("dataset:source"), "ungar");
    await user.clear(screen.getByTestId("dataset:limit"));
    await user.type(screen.getByTestId("dataset:limit"), "20");

    await waitFor(() => expect(screen.getByTestId("dataset:preview")).toHaveTextContent("30 traces match, 30 would be taken"));
    const previews = await bodiesOf(requests, "POST", "/api/datasets/preview");
    expect(previews.at(-1)).toEqual({ strategy: "latest", seed: 42, limit: 20, filters: { source: "ungar" } });
    // Debounced: no request for a half-typed source.
    const sources = previews.map((b) => (b as { filters: { source?: string } }).filters.source);
    expect(sources.every((s) => s === undefined || s === "ungar")).toBe(true);
  });

  it("shows why the server cannot count the selection", async () => {
    mockFetch(
      datasetsPageRoutes({
        "POST /api/datasets/preview": () =>
          apiError(422, "ValidationError", [
            { loc: ["body", "filters"], msg: "Value error, created_after must be before created_before", type: "value_error" },
          ]),
      }),
    );
    renderApp("/datasets");

    const alert = await screen.findByTestId("sys:error");
    expect(alert).toHaveTextContent("Cannot count matches");
    expect(alert).toHaveTextContent("filters: Value error, created_after must be before created_before");
  });

  it("builds the dataset and opens its page", async () => {
    const built = manifest({ dataset_key: "duels-v3", version: 3, description: "For the demo" });
    const { requests, pathsCalled } = mockFetch(
      datasetsPageRoutes({ "POST /api/datasets/build": () => json(201, built) }),
    );
    const { user } = renderApp("/datasets");

    await user.type(await screen.findByTestId("dataset:name"), "duels");
    await user.type(screen.getByTestId("dataset:source"), "ungar");
    await user.selectOptions(screen.getByTestId("dataset:strategy"), "random");
    await user.clear(screen.getByTestId("dataset:eval-ratio"));
    await user.type(screen.getByTestId("dataset:eval-ratio"), "0.2");
    await user.type(screen.getByTestId("dataset:description"), "For the demo");
    await user.click(screen.getByTestId("dataset:build-submit"));

    expect(await screen.findByTestId("dataset:key")).toHaveTextContent("duels-v3");
    expect(screen.getByTestId("dataset:description")).toHaveTextContent("For the demo");
    const [body] = await bodiesOf(requests, "POST", "/api/datasets/build");
    expect(body).toEqual({
      name: "duels",
      strategy: "random",
      seed: 42,
      limit: 1000,
      eval_ratio: 0.2,
      description: "For the demo",
      filters: { source: "ungar" },
    });
    // The build's answer fills the detail page: no second fetch.
    expect(pathsCalled()).not.toContain("GET /api/datasets/duels-v3");
  });

  it("sends the created-after filter as an instant in UTC", async () => {
    const { requests } = mockFetch(datasetsPageRoutes());
    const { user } = renderApp("/datasets");

    const after = await screen.findByTestId("dataset:created-after");
    await user.type(after, "2025-03-01T12:30");

    await waitFor(async () => {
      const previews = await bodiesOf(requests, "POST", "/api/datasets/preview");
      expect(previews.at(-1)).toMatchObject({ filters: { created_after: new Date("2025-03-01T12:30").toISOString() } });
    });
  });

  it("shows each 422 field error at its field", async () => {
    mockFetch(
      datasetsPageRoutes({
        "POST /api/datasets/build": () =>
          apiError(422, "ValidationError", [
            { loc: ["body", "name"], msg: "String should match pattern '^[A-Za-z0-9][A-Za-z0-9_.\\-]*$'", type: "string_pattern_mismatch" },
            { loc: ["body", "filters"], msg: "no trace matches the filters", type: "value_error" },
            { loc: ["body", "limit"], msg: "at most 100000 traces (DATASET_MAX_TRACES); got 200000", type: "less_than_equal" },
            { loc: ["query", "x"], msg: "unexpected", type: "extra" },
          ]),
      }),
    );
    const { user } = renderApp("/datasets");

    await user.type(await screen.findByTestId("dataset:name"), "-bad name");
    await user.click(screen.getByTestId("dataset:build-submit"));

    const errors = await screen.findAllByTestId("dataset:field-error");
    const name = screen.getByTestId("dataset:name");
    expect(name).toHaveAttribute("aria-invalid", "true");
    expect(name.closest(".field")).toHaveTextContent("String should match pattern");
    expect(screen.getByTestId("dataset:limit").closest(".field")).toHaveTextContent("at most 100000 traces");
    expect(screen.getByRole("group", { name: "Filters" })).toHaveTextContent("no trace matches the filters");
    expect(errors).toHaveLength(4);
    const summary = screen.getByTestId("sys:error");
    expect(summary).toHaveTextContent("Not built: 4 field errors, shown at the fields.");
    expect(within(summary).getByRole("listitem")).toHaveTextContent("query → x: unexpected");
    expect(screen.getByTestId("dataset:build-form")).toBeInTheDocument();
  });

  it("shows the detail of any other error", async () => {
    mockFetch(
      datasetsPageRoutes({
        "POST /api/datasets/build": () =>
          apiError(409, "DatasetVersionTaken", "duels-v2 was built concurrently; build again for the next version."),
      }),
    );
    const { user } = renderApp("/datasets");

    await user.type(await screen.findByTestId("dataset:name"), "duels");
    await user.click(screen.getByTestId("dataset:build-submit"));

    const alert = await screen.findByTestId("sys:error");
    expect(alert).toHaveTextContent("Not built: DatasetVersionTaken (HTTP 409) — duels-v2 was built concurrently");
    expect(screen.queryAllByTestId("dataset:field-error")).toHaveLength(0);
  });

  it("builds again once a token is saved after a 401, then opens the dataset", async () => {
    const { requests } = mockFetch(
      datasetsPageRoutes({
        "POST /api/datasets/build": (request) =>
          request.headers.get("Authorization") === "Bearer trt_good"
            ? json(201, manifest())
            : apiError(401, "Unauthorized", "Missing or invalid bearer token"),
      }),
    );
    const { user } = renderApp("/datasets");

    await user.type(await screen.findByTestId("dataset:name"), "duels");
    await user.click(screen.getByTestId("dataset:build-submit"));
    await user.type(await screen.findByTestId("sys:token-input"), "trt_good");
    await user.click(screen.getByTestId("sys:token-save"));

    expect(await screen.findByTestId("dataset:key")).toHaveTextContent("duels-v1");
    expect(requests.filter((r) => r.method === "POST" && r.url.endsWith("/build"))).toHaveLength(2);
  });
});
