import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { apiError, json, mockFetch } from "../../test/fetchMock";
import { model, MODEL_ID, modelPage } from "../../test/models";
import { renderApp } from "../../test/render";
import { page as tracePage } from "../../test/traces";

const MODELS = "/api/models";

const BARE = model({
  id: "00000000-0000-4000-8000-0000000000d2",
  name: "sums",
  description: null,
  latest_version: null,
  version_count: 0,
  aliases: [],
});

describe("models page", () => {
  it("lists each model with its latest version, version count and aliases, the protected one marked", async () => {
    mockFetch({ [`GET ${MODELS}`]: () => json(200, modelPage([model(), BARE])) });
    renderApp("/models");

    const rows = await screen.findAllByTestId("models:row");
    expect(rows.map((row) => row.dataset.name)).toEqual(["duel-reasoner", "sums"]);
    const [duel, sums] = rows as [HTMLElement, HTMLElement];
    expect(within(duel).getByTestId("models:open")).toHaveAttribute("href", `/models/${MODEL_ID}`);
    expect(duel).toHaveTextContent("Plays High Card Duel");
    expect(within(duel).getByTestId("models:latest")).toHaveTextContent("v2");
    expect(within(duel).getByTestId("models:version-count")).toHaveTextContent("2");
    const chips = within(duel).getAllByTestId("models:alias-chip");
    expect(chips.map((chip) => [chip.dataset.alias, chip.dataset.protected, chip.textContent])).toEqual([
      ["prod", "true", "prod→ v1protected"],
      ["staging", "false", "staging→ v2"],
    ]);
    // A model with nothing promoted yet.
    expect(within(sums).getByTestId("models:latest")).toHaveTextContent("none yet");
    expect(within(sums).getByTestId("models:version-count")).toHaveTextContent("0");
    expect(within(sums).getByTestId("models:aliases")).toHaveTextContent("—");
  });

  it("says there are none yet", async () => {
    mockFetch({ [`GET ${MODELS}`]: () => json(200, modelPage([])) });
    renderApp("/models");
    expect(await screen.findByTestId("models:empty")).toHaveTextContent("No models yet");
  });

  it("is reached from the main navigation", async () => {
    mockFetch({ "GET /api/traces": () => json(200, tracePage([], 0, null)), [`GET ${MODELS}`]: () => json(200, modelPage([])) });
    const { user } = renderApp("/traces");

    await user.click(screen.getByTestId("sys:nav-models"));
    expect(await screen.findByTestId("models:page")).toBeInTheDocument();
    expect(screen.getByTestId("sys:nav-models")).toHaveAttribute("aria-current", "page");
  });

  it("registers a model, and the list gains it", async () => {
    let rows: unknown[] = [];
    const { requests } = mockFetch({
      [`GET ${MODELS}`]: () => json(200, modelPage(rows)),
      [`POST ${MODELS}`]: () => {
        rows = [model({ latest_version: null, version_count: 0, aliases: [] })];
        return json(201, rows[0]);
      },
    });
    const { user } = renderApp("/models");

    await screen.findByTestId("models:empty");
    expect(screen.getByTestId("models:register-submit")).toBeDisabled();
    await user.type(screen.getByTestId("models:register-name"), "duel-reasoner");
    await user.type(screen.getByTestId("models:register-description"), "Plays High Card Duel");
    await user.click(screen.getByTestId("models:register-submit"));

    const saved = await screen.findByTestId("models:registered");
    expect(within(saved).getByRole("link", { name: "duel-reasoner" })).toHaveAttribute("href", `/models/${MODEL_ID}`);
    const post = requests.find((r) => r.method === "POST")!;
    expect(await post.json()).toEqual({ name: "duel-reasoner", description: "Plays High Card Duel", task_type: "reasoning" });
    await waitFor(() => expect(screen.getAllByTestId("models:row").map((r) => r.dataset.name)).toEqual(["duel-reasoner"]));
    expect(screen.getByTestId("models:register-name")).toHaveValue("");
  });

  it("shows a taken name's 409 from {error, detail}", async () => {
    mockFetch({
      [`GET ${MODELS}`]: () => json(200, modelPage([model()])),
      [`POST ${MODELS}`]: () => apiError(409, "ModelNameTaken", "a model named 'duel-reasoner' exists already"),
    });
    const { user } = renderApp("/models");

    await user.type(await screen.findByTestId("models:register-name"), "duel-reasoner");
    await user.click(screen.getByTestId("models:register-submit"));
    expect(await screen.findByTestId("sys:error")).toHaveTextContent(
      "Not registered: ModelNameTaken (HTTP 409) — a model named 'duel-reasoner' exists already",
    );
    expect(screen.queryByTestId("models:registered")).not.toBeInTheDocument();
  });

  it("shows a 422 at the name", async () => {
    mockFetch({
      [`GET ${MODELS}`]: () => json(200, modelPage([])),
      [`POST ${MODELS}`]: () =>
        apiError(422, "ValidationError", [
          { loc: ["body", "name"], msg: "String should match pattern '^[A-Za-z0-9][A-Za-z0-9._-]*$'", type: "string_pattern_mismatch" },
        ]),
    });
    const { user } = renderApp("/models");

    await user.type(await screen.findByTestId("models:register-name"), "no spaces");
    await user.click(screen.getByTestId("models:register-submit"));
    const error = await screen.findByTestId("models:register-field-error");
    expect(error).toHaveAttribute("data-field", "name");
    expect(screen.getByTestId("models:register-name")).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByTestId("sys:error")).toHaveTextContent("Not registered: 1 field error, shown at the fields.");
  });

  it("shows a load error from {error, detail}", async () => {
    mockFetch({ [`GET ${MODELS}`]: () => apiError(403, "Forbidden", "Token scope") });
    renderApp("/models");
    expect(await screen.findByTestId("sys:error")).toHaveTextContent("Could not load the models: Forbidden (HTTP 403) — Token scope");
    expect(screen.queryByTestId("models:list")).not.toBeInTheDocument();
  });
});
