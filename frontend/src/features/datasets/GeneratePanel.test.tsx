import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { apiError, json, mockFetch } from "../../test/fetchMock";
import { datasetsPageRoutes, generated } from "../../test/datasets";
import { renderApp } from "../../test/render";
import { page } from "../../test/traces";
import { traceKeys } from "../traces/queries";

function previewCount(paths: string[]): number {
  return paths.filter((p) => p === "POST /api/datasets/preview").length;
}

describe("generate traces panel", () => {
  it("lists the generators and shows UNGAR's status", async () => {
    mockFetch(datasetsPageRoutes());
    const { user } = renderApp("/datasets");

    const select = await screen.findByTestId<HTMLSelectElement>("gen:generator");
    await waitFor(() => expect(within(select).getAllByRole("option").map((o) => o.textContent)).toEqual(["high_card_duel", "arithmetic"]));
    expect(screen.getByText(/UNGAR's High Card Duel/)).toBeInTheDocument();
    expect(screen.queryByTestId("gen:param-difficulty")).not.toBeInTheDocument();
    expect(screen.getByTestId("gen:ungar-status")).toHaveTextContent("UNGAR: builtin — UNGAR is not installed");

    await user.selectOptions(select, "arithmetic");
    expect(screen.getByTestId<HTMLInputElement>("gen:param-difficulty").value).toBe("2");
    expect(screen.getByTestId("gen:param-difficulty")).toHaveAttribute("max", "5");
  });

  it("generates arithmetic traces with a difficulty, shows the first and refreshes what counts traces", async () => {
    const { requests, pathsCalled } = mockFetch(
      datasetsPageRoutes({ "POST /api/generators/:name/generate": () => json(201, generated("arithmetic", 5)) }),
    );
    const { user, queryClient } = renderApp("/datasets");
    queryClient.setQueryData(traceKeys.list(0), page([], 0, null));
    await waitFor(() => expect(screen.getByTestId("dataset:preview")).toHaveTextContent("0 traces match"));
    const previewsBefore = previewCount(pathsCalled());

    await user.selectOptions(await screen.findByTestId("gen:generator"), "arithmetic");
    await user.clear(screen.getByTestId("gen:count"));
    await user.type(screen.getByTestId("gen:count"), "5");
    await user.clear(screen.getByTestId("gen:seed"));
    await user.type(screen.getByTestId("gen:seed"), "7");
    await user.clear(screen.getByTestId("gen:param-difficulty"));
    await user.type(screen.getByTestId("gen:param-difficulty"), "4");
    await user.click(screen.getByTestId("gen:submit"));

    const result = await screen.findByTestId("gen:result");
    expect(screen.getByTestId("gen:created")).toHaveTextContent("5");
    expect(result).toHaveTextContent("Created 5 traces with arithmetic (source arithmetic), seed 7.");
    expect(within(result).queryByTestId("gen:repeated")).not.toBeInTheDocument();
    expect(within(result).getByTestId("gen:preview")).toHaveTextContent("What is 27 × 4?");
    expect(within(result).getByRole("link", { name: "open" })).toHaveAttribute("href", "/traces/00000000-0000-4000-8000-000000000001");

    const post = requests.find((r) => r.url.includes("/generate"))!;
    expect(new URL(post.url).pathname).toBe("/api/generators/arithmetic/generate");
    expect(await post.json()).toEqual({ count: 5, seed: 7, params: { difficulty: 4 }, persist: true });
    await waitFor(() => expect(previewCount(pathsCalled())).toBeGreaterThan(previewsBefore));
    expect(queryClient.getQueryState(traceKeys.list(0))?.isInvalidated).toBe(true);
  });

  it("sends no params for High Card Duel, and no seed unless one is typed: the server draws it and says which", async () => {
    const { requests } = mockFetch(
      datasetsPageRoutes({
        "POST /api/generators/:name/generate": () => json(201, generated("ungar", 10, { seed: 1637210, repeated: 4 })),
      }),
    );
    const { user } = renderApp("/datasets");
    await waitFor(() => expect(screen.getByTestId("gen:submit")).toBeEnabled());
    expect(screen.getByTestId("gen:seed")).toHaveValue(null);
    expect(screen.getByTestId("gen:seed")).toHaveAccessibleDescription(
      "Blank: a fresh one, shown with the result. The same seed makes the same traces again.",
    );

    await user.click(screen.getByTestId("gen:submit"));

    const result = await screen.findByTestId("gen:result");
    const post = requests.find((r) => r.url.includes("/generate"))!;
    expect(new URL(post.url).pathname).toBe("/api/generators/high_card_duel/generate");
    expect(await post.json()).toEqual({ count: 10, params: {}, persist: true });
    expect(within(result).getByTestId("gen:seed-used")).toHaveTextContent("1637210");
    expect(within(result).getByTestId("gen:repeated")).toHaveTextContent(
      "4 of them repeat a prompt already stored or earlier in this batch",
    );
  });

  it("shows a 422 at the field it names", async () => {
    mockFetch(
      datasetsPageRoutes({
        "POST /api/generators/:name/generate": () =>
          apiError(422, "ValidationError", [
            { loc: ["body", "count"], msg: "at most 10000 traces per request (GENERATOR_MAX_COUNT); got 20000", type: "less_than_equal" },
          ]),
      }),
    );
    const { user } = renderApp("/datasets");
    await waitFor(() => expect(screen.getByTestId("gen:submit")).toBeEnabled());

    await user.click(screen.getByTestId("gen:submit"));

    const [error] = await screen.findAllByTestId("gen:field-error");
    expect(error).toHaveTextContent("at most 10000 traces per request");
    expect(screen.getByTestId("gen:count")).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByTestId("gen:panel")).toHaveTextContent("Not generated: 1 field error, shown at the fields.");
  });

  it("shows when the generators or UNGAR's status cannot be read", async () => {
    mockFetch(
      datasetsPageRoutes({
        "GET /api/generators": () => apiError(403, "Forbidden", "Token scope"),
        "GET /api/ungar/status": () => apiError(500, "InternalError", "boom"),
      }),
    );
    renderApp("/datasets");

    expect(await screen.findByText(/Could not load generators/)).toBeInTheDocument();
    expect(screen.getByTestId("gen:submit")).toBeDisabled();
    await waitFor(() => expect(screen.getByTestId("gen:ungar-status")).toHaveTextContent("status unavailable (InternalError: boom)"));
  });
});
