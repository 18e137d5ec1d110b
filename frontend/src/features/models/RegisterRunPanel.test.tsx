import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { apiError, json, mockFetch, type RouteHandler } from "../../test/fetchMock";
import { model, MODEL_ID, modelPage, version } from "../../test/models";
import { renderApp } from "../../test/render";
import { LOCAL_SUMMARY, RUN_ID, runDetail, runPageRoutes } from "../../test/runs";

const DETAIL = `/api/tunix/runs/${RUN_ID}`;
const PROMOTE = `/api/models/${MODEL_ID}/versions/promote`;
const OTHER_MODEL_ID = "00000000-0000-4000-8000-0000000000d2";
const TRAINED = runDetail({ mode: "local", summary: LOCAL_SUMMARY });

function routes(run: unknown, extra: Record<string, RouteHandler> = {}): Record<string, RouteHandler> {
  return { ...runPageRoutes(), [`GET ${DETAIL}`]: () => json(200, run), ...extra };
}

function posts(requests: Request[]): string[] {
  return requests.filter((r) => r.method === "POST").map((r) => new URL(r.url).pathname);
}

describe("run page: register this model", () => {
  it("registers a new model, then promotes the run into it, and links to it", async () => {
    const { requests } = mockFetch(
      routes(TRAINED, {
        "POST /api/models": () => json(201, model({ latest_version: null, version_count: 0, aliases: [] })),
        [`POST ${PROMOTE}`]: () => json(201, version({ version: "v1", aliases: [] })),
      }),
    );
    const { user } = renderApp(`/runs/${RUN_ID}`);

    const form = await screen.findByTestId("models:promote-form");
    // No models yet: a new one is the only choice.
    await waitFor(() => expect(screen.getByTestId("models:promote-model")).toHaveValue(""));
    expect(screen.getByTestId("models:promote-submit")).toBeDisabled();
    expect(screen.getByTestId("models:promote-checkpoint")).toHaveTextContent("Its final checkpoint: step 20.");
    await user.type(screen.getByTestId("models:promote-name"), "duel-reasoner");
    await user.click(screen.getByTestId("models:promote-submit"));

    const done = await within(form).findByTestId("models:promoted");
    expect(done).toHaveTextContent("Registered as duel-reasoner v1.");
    expect(within(done).getByTestId("models:promoted-link")).toHaveAttribute("href", `/models/${MODEL_ID}`);
    expect(posts(requests)).toEqual(["/api/models", PROMOTE]);
    const [create, promote] = requests.filter((r) => r.method === "POST");
    expect(await create!.json()).toEqual({ name: "duel-reasoner", task_type: "reasoning" });
    expect(await promote!.json()).toEqual({ source_run_id: RUN_ID });
  });

  it("promotes into an existing model with a label, and says when the checkpoint was registered already", async () => {
    const { requests } = mockFetch(
      routes(TRAINED, {
        "GET /api/models": () => json(200, modelPage([model()])),
        [`POST ${PROMOTE}`]: () => json(200, version()),
      }),
    );
    const { user } = renderApp(`/runs/${RUN_ID}`);

    await waitFor(() => expect(screen.getByTestId("models:promote-model")).toHaveValue(MODEL_ID));
    expect(screen.queryByTestId("models:promote-name")).not.toBeInTheDocument();
    await user.type(screen.getByTestId("models:promote-label"), "v2");
    await user.click(screen.getByTestId("models:promote-submit"));

    expect(await screen.findByTestId("models:promoted")).toHaveTextContent("This checkpoint is registered already: duel-reasoner v2.");
    expect(posts(requests)).toEqual([PROMOTE]);
    expect(await requests.find((r) => r.method === "POST")!.json()).toEqual({ source_run_id: RUN_ID, version_label: "v2" });
  });

  it("says where the run is registered already, linked, and offers another model first", async () => {
    const other = model({ id: OTHER_MODEL_ID, name: "hcd-reasoner", latest_version: null, version_count: 0, aliases: [] });
    const { requests } = mockFetch(
      routes(TRAINED, {
        "GET /api/models": () => json(200, modelPage([model(), other])),
        "GET /api/models/versions": () => json(200, [version()]),
        [`POST /api/models/${OTHER_MODEL_ID}/versions/promote`]: () =>
          json(201, version({ id: "00000000-0000-4000-8000-0000000000e9", model_id: OTHER_MODEL_ID, model_name: "hcd-reasoner", version: "v1", aliases: [] })),
      }),
    );
    const { user } = renderApp(`/runs/${RUN_ID}`);

    const note = await screen.findByTestId("models:run-registered");
    expect(note).toHaveTextContent("Registered as duel-reasoner v2. It can go into another model too.");
    expect(within(note).getByTestId("models:run-version-link")).toHaveAttribute("href", `/models/${MODEL_ID}`);
    const lookup = requests.find((r) => new URL(r.url).pathname === "/api/models/versions")!;
    expect(new URL(lookup.url).searchParams.get("source_run_id")).toBe(RUN_ID);

    // The model that has it is still offered, marked; the other is chosen.
    const select = screen.getByTestId("models:promote-model");
    await waitFor(() => expect(select).toHaveValue(OTHER_MODEL_ID));
    expect(within(select).getByRole("option", { name: "duel-reasoner (has this run as v2)" })).toBeInTheDocument();
    await user.click(screen.getByTestId("models:promote-submit"));

    expect(await screen.findByTestId("models:promoted")).toHaveTextContent("Registered as hcd-reasoner v1.");
    expect(posts(requests)).toEqual([`/api/models/${OTHER_MODEL_ID}/versions/promote`]);
  });

  it("shows why a promotion was refused, from {error, detail}, and retries into the model it just created", async () => {
    let promotions = 0;
    const { requests } = mockFetch(
      routes(TRAINED, {
        "POST /api/models": () => json(201, model({ latest_version: null, version_count: 0, aliases: [] })),
        [`POST ${PROMOTE}`]: () => {
          promotions += 1;
          return promotions === 1
            ? apiError(409, "VersionLabelTaken", "duel-reasoner has a version 'v1' already")
            : json(201, version({ version: "v3" }));
        },
      }),
    );
    const { user } = renderApp(`/runs/${RUN_ID}`);

    await user.type(await screen.findByTestId("models:promote-name"), "duel-reasoner");
    await user.type(screen.getByTestId("models:promote-label"), "v1");
    await user.click(screen.getByTestId("models:promote-submit"));
    expect(await screen.findByTestId("sys:error")).toHaveTextContent(
      "Not registered: VersionLabelTaken (HTTP 409) — duel-reasoner has a version 'v1' already",
    );

    await user.clear(screen.getByTestId("models:promote-label"));
    await user.type(screen.getByTestId("models:promote-label"), "v3");
    await user.click(screen.getByTestId("models:promote-submit"));
    expect(await screen.findByTestId("models:promoted")).toHaveTextContent("Registered as duel-reasoner v3.");
    expect(screen.queryByTestId("sys:error")).not.toBeInTheDocument();
    // The model was created once; the second try promoted into it.
    expect(posts(requests)).toEqual(["/api/models", PROMOTE, PROMOTE]);
  });

  it.each([
    ["a failed run", runDetail({ mode: "local", status: "failed", summary: LOCAL_SUMMARY, error: "boom" })],
    ["a completed run that saved no checkpoint", runDetail({ mode: "local", summary: { ...LOCAL_SUMMARY, latest_checkpoint: null } })],
    ["a dry run", runDetail()],
  ])("is not offered for %s", async (_name, run) => {
    const { requests } = mockFetch(routes(run));
    renderApp(`/runs/${RUN_ID}`);

    expect(await screen.findByTestId("run:detail")).toBeInTheDocument();
    expect(screen.queryByTestId("models:promote-form")).not.toBeInTheDocument();
    expect(requests.some((r) => new URL(r.url).pathname === "/api/models")).toBe(false);
  });
});
