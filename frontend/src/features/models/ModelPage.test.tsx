import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { EVALUATION_ID } from "../../test/evaluations";
import { apiError, json, mockFetch, type RouteHandler } from "../../test/fetchMock";
import {
  alias,
  aliasEvent,
  historyPage,
  model,
  MODEL_ID,
  V1_ID,
  V1_RUN_ID,
  V2_ID,
  version,
  version1,
  versionPage,
  versionRef,
} from "../../test/models";
import { baseline, baselinePage, CHECK_ID, failReport } from "../../test/regression";
import { renderApp } from "../../test/render";
import { RUN_ID } from "../../test/runs";

const MODEL = `/api/models/${MODEL_ID}`;
const ALIASES = `${MODEL}/aliases`;

/** Everything the page reads: the model, its two versions, each alias's history (staging: set v1, set v2). */
function pageRoutes(routes: Record<string, RouteHandler> = {}): Record<string, RouteHandler> {
  return {
    [`GET ${MODEL}`]: () => json(200, model()),
    [`GET ${MODEL}/versions`]: () => json(200, versionPage([version(), version1()])),
    [`GET ${ALIASES}/staging/history`]: () => json(200, historyPage([aliasEvent(2, "set", "v1", "v2"), aliasEvent(1, "set", null, "v1")])),
    [`GET ${ALIASES}/prod/history`]: () =>
      json(200, historyPage([aliasEvent(3, "set", null, "v1", { alias: "prod", actor: "release-bot", check_id: CHECK_ID, reason: "Passed the gate" })])),
    "GET /api/regression/baselines": () => json(200, baselinePage([baseline(), baseline({ name: "gemma-v0" })])),
    ...routes,
  };
}

function requestsTo(requests: Request[], method: string, path: string): Request[] {
  return requests.filter((r) => r.method === method && new URL(r.url).pathname === path);
}

function aliasItem(name: string): HTMLElement {
  return screen.getAllByTestId("models:alias").find((item) => item.dataset.alias === name)!;
}

describe("model page: versions", () => {
  it("shows each version's label, run, newest non-mock score, final loss, archive and aliases; provenance on demand", async () => {
    mockFetch(pageRoutes());
    const { user } = renderApp(`/models/${MODEL_ID}`);

    expect(await screen.findByTestId("models:detail-name")).toHaveTextContent("duel-reasoner");
    expect(screen.getByRole("heading", { level: 1 })).toHaveTextContent("Model duel-reasoner");
    const rows = await screen.findAllByTestId("models:version-row");
    expect(rows.map((row) => row.dataset.version)).toEqual(["v2", "v1"]);
    const [v2, v1] = rows as [HTMLElement, HTMLElement];

    expect(within(v2).getByTestId("models:version-run")).toHaveTextContent("00000000");
    expect(within(v2).getByRole("link", { name: "00000000" })).toHaveAttribute("href", `/runs/${RUN_ID}`);
    // The exact_match evaluation, not the newer mock one.
    expect(within(v2).getByTestId("models:version-score")).toHaveTextContent("70.0% exact_match");
    expect(within(v2).getByRole("link", { name: "70.0%" })).toHaveAttribute("href", `/evaluations/${EVALUATION_ID}`);
    expect(within(v2).getByTestId("models:version-loss")).toHaveTextContent("2.51");
    expect(within(v2).getByTestId("models:version-archive")).toHaveTextContent("c0ffee000000 1.5 MiB");
    expect(within(v2).getByTestId("models:version-download")).toHaveAttribute("href", `/api/models/versions/${V2_ID}/download`);
    expect(within(v2).getByTestId("models:version-aliases")).toHaveTextContent("staging");
    expect(within(v1).getByTestId("models:version-score")).toHaveTextContent("—");
    expect(within(v1).getByTestId("models:version-loss")).toHaveTextContent("3.25");
    expect(within(v1).getByRole("link", { name: "00000041" })).toHaveAttribute("href", `/runs/${V1_RUN_ID}`);
    expect(within(v1).getByTestId("models:alias-chip")).toHaveAttribute("data-protected", "true");

    expect(screen.queryByTestId("models:provenance")).not.toBeInTheDocument();
    await user.click(within(v2).getByTestId("models:version-toggle"));
    const provenance = screen.getByTestId("models:provenance");
    expect(provenance).toHaveTextContent("After the longer warmup");
    expect(provenance).toHaveTextContent("Datasetduels-v1 sha256 e2cf7e24fccff16b");
    expect(provenance).toHaveTextContent("Templategemma-reasoning-v1");
    expect(provenance).toHaveTextContent("Base modeltunix-rt/tiny-gemma3");
    expect(provenance).toHaveTextContent("Methodfull");
    expect(provenance).toHaveTextContent("Seed7");
    expect(provenance).toHaveTextContent("Checkpointstep 30 of 30");
    expect(provenance).toHaveTextContent("Weights sha2567db7cab8");
    expect(provenance).toHaveTextContent("Librariesjax 0.10.2 · tunix 0.1.7");
    expect(within(provenance).getByRole("link", { name: "duels-v1" })).toHaveAttribute("href", "/datasets/duels-v1");
    await user.click(within(v2).getByTestId("models:version-toggle"));
    expect(screen.queryByTestId("models:provenance")).not.toBeInTheDocument();
  });

  it("links each alias and version to the Playground by its served name", async () => {
    mockFetch(pageRoutes());
    renderApp(`/models/${MODEL_ID}`);

    const tryIt = await screen.findByRole("group", { name: "Try in the Playground:" });
    await waitFor(() => expect(within(tryIt).getAllByTestId("models:try-version")).toHaveLength(2));
    const links = within(tryIt).getAllByRole("link").map((link) => [link.textContent, link.getAttribute("href")]);
    expect(links).toEqual([
      ["prod", "/playground?model=duel-reasoner:prod"],
      ["staging", "/playground?model=duel-reasoner:staging"],
      ["v2", "/playground?model=duel-reasoner@v2"],
      ["v1", "/playground?model=duel-reasoner@v1"],
    ]);
  });

  it("says a model without versions has none yet", async () => {
    mockFetch(pageRoutes({
      [`GET ${MODEL}`]: () => json(200, model({ latest_version: null, version_count: 0, aliases: [] })),
      [`GET ${MODEL}/versions`]: () => json(200, versionPage([])),
    }));
    renderApp(`/models/${MODEL_ID}`);

    expect(await screen.findByTestId("models:versions-empty")).toHaveTextContent("No versions yet");
    expect(screen.getByTestId("models:aliases-empty")).toBeInTheDocument();
    expect(screen.getByTestId("models:move-submit")).toBeDisabled();
  });

  it("says an unknown model was not found", async () => {
    mockFetch({ "GET /api/models/:id": () => apiError(404, "ModelNotFound", `no model ${MODEL_ID}`), "GET /api/models/:id/versions": () => apiError(404, "ModelNotFound", "") });
    renderApp(`/models/${MODEL_ID}`);
    expect(await screen.findByTestId("models:not-found")).toHaveTextContent(`No model has the id ${MODEL_ID}.`);
  });
});

describe("model page: aliases", () => {
  it("shows each alias's version, the protected badge and its history, newest first", async () => {
    mockFetch(pageRoutes());
    renderApp(`/models/${MODEL_ID}`);

    await waitFor(() => expect(screen.getAllByTestId("models:history")).toHaveLength(2));
    const prod = aliasItem("prod");
    const staging = aliasItem("staging");
    expect(within(prod).getByTestId("models:alias-version")).toHaveTextContent("v1");
    expect(within(prod).getByTestId("models:alias-protected")).toHaveTextContent("protected");
    expect(within(staging).getByTestId("models:alias-version")).toHaveTextContent("v2");
    expect(within(staging).queryByTestId("models:alias-protected")).not.toBeInTheDocument();

    const history = within(staging).getAllByTestId("models:history-row");
    expect(history.map((row) => [row.dataset.action, within(row).getByTestId("models:history-move").textContent])).toEqual([
      ["set", "v1 → v2"],
      ["set", "— → v1"],
    ]);
    // Who moved prod, the check that let it, and why.
    const [event] = within(prod).getAllByTestId("models:history-row");
    expect(event).toHaveTextContent("release-bot");
    expect(event).toHaveTextContent("Passed the gate");
    expect(within(event!).getByTestId("models:history-check")).toHaveAttribute("href", `/regression?check=${CHECK_ID}`);
    // A rollback would go back where the alias came from.
    expect(within(staging).getByTestId("models:alias-rollback")).toHaveTextContent("Roll back to v1");
  });

  it("rolls an alias back through the API, and shows the move in its history", async () => {
    let rolledBack = false;
    const { requests } = mockFetch(
      pageRoutes({
        [`GET ${MODEL}`]: () => json(200, model({ aliases: [alias({ version: rolledBack ? versionRef("v1") : versionRef("v2") })] })),
        [`POST ${ALIASES}/staging/rollback`]: () => {
          rolledBack = true;
          return json(200, { alias: alias({ version: versionRef("v1") }), event: aliasEvent(3, "rollback", "v2", "v1"), check: null });
        },
        [`GET ${ALIASES}/staging/history`]: () =>
          json(
            200,
            historyPage([
              ...(rolledBack ? [aliasEvent(3, "rollback", "v2", "v1")] : []),
              aliasEvent(2, "set", "v1", "v2"),
              aliasEvent(1, "set", null, "v1"),
            ]),
          ),
      }),
    );
    const { user } = renderApp(`/models/${MODEL_ID}`);

    const button = await screen.findByTestId("models:alias-rollback");
    await waitFor(() => expect(button).toHaveTextContent("Roll back to v1"));
    await user.click(button);

    await waitFor(() => expect(screen.getByTestId("models:alias-version")).toHaveTextContent("v1"));
    expect(requestsTo(requests, "POST", `${ALIASES}/staging/rollback`)).toHaveLength(1);
    await waitFor(() =>
      expect(screen.getAllByTestId("models:history-row").map((row) => row.dataset.action)).toEqual(["rollback", "set", "set"]),
    );
  });

  it("offers no rollback for an alias first set where it points", async () => {
    mockFetch(
      pageRoutes({
        [`GET ${MODEL}`]: () => json(200, model({ aliases: [alias({ version: versionRef("v1"), rollback_to: null })] })),
        [`GET ${ALIASES}/staging/history`]: () => json(200, historyPage([aliasEvent(1, "set", null, "v1")])),
      }),
    );
    renderApp(`/models/${MODEL_ID}`);

    await screen.findByTestId("models:history-row");
    expect(screen.getByTestId("models:alias-rollback")).toBeDisabled();
    expect(screen.getByTestId("models:alias-rollback")).toHaveAttribute("title", "staging pointed at no other version before this one");
  });

  it("shows why a rollback was refused", async () => {
    mockFetch(
      pageRoutes({
        [`GET ${MODEL}`]: () => json(200, model({ aliases: [alias({ version: versionRef("v1") })] })),
        // Its moves are past this page: the server decides.
        [`GET ${ALIASES}/staging/history`]: () => json(200, historyPage([aliasEvent(9, "refused", "v1", "v2")], 20)),
        [`POST ${ALIASES}/staging/rollback`]: () =>
          apiError(409, "NothingToRollBackTo", "staging has pointed at no other version of duel-reasoner before this one"),
      }),
    );
    const { user } = renderApp(`/models/${MODEL_ID}`);

    await user.click(await screen.findByTestId("models:alias-rollback"));
    expect(await screen.findByTestId("sys:error")).toHaveTextContent(
      "Not rolled back: NothingToRollBackTo (HTTP 409) — staging has pointed at no other version of duel-reasoner before this one",
    );
  });

  it("deletes an alias after a confirmation", async () => {
    let deleted = false;
    const { requests } = mockFetch(
      pageRoutes({
        [`GET ${MODEL}`]: () => json(200, model({ aliases: deleted ? [] : [alias()] })),
        [`DELETE ${ALIASES}/staging`]: () => {
          deleted = true;
          return new Response(null, { status: 204 });
        },
      }),
    );
    const { user } = renderApp(`/models/${MODEL_ID}`);

    await user.click(await screen.findByTestId("models:alias-delete"));
    expect(screen.getByRole("group", { name: "Confirm deleting staging" })).toHaveTextContent("The versions and its history stay.");
    await user.click(screen.getByTestId("models:alias-delete-cancel"));
    expect(requestsTo(requests, "DELETE", `${ALIASES}/staging`)).toHaveLength(0);

    await user.click(screen.getByTestId("models:alias-delete"));
    await user.click(screen.getByTestId("models:alias-delete-confirm"));
    expect(await screen.findByTestId("models:aliases-empty")).toBeInTheDocument();
    expect(requestsTo(requests, "DELETE", `${ALIASES}/staging`)).toHaveLength(1);
  });
});

describe("model page: move an alias", () => {
  it("points a new alias at the chosen version, with the reason", async () => {
    const { requests } = mockFetch(
      pageRoutes({
        [`PUT ${ALIASES}/canary`]: () =>
          json(200, { alias: alias({ alias: "canary", version: versionRef("v1") }), event: aliasEvent(5, "set", null, "v1", { alias: "canary" }), check: null }),
      }),
    );
    const { user } = renderApp(`/models/${MODEL_ID}`);

    await waitFor(() => expect(screen.getByTestId("models:move-version")).toHaveValue(V2_ID));
    expect(screen.queryByTestId("models:move-baseline")).not.toBeInTheDocument();
    await user.type(screen.getByTestId("models:move-alias"), "canary");
    await user.selectOptions(screen.getByTestId("models:move-version"), V1_ID);
    await user.type(screen.getByTestId("models:move-reason"), "Try the older one");
    await user.click(screen.getByTestId("models:move-submit"));

    expect(await screen.findByTestId("models:moved")).toHaveTextContent("canary now points at v1.");
    const [put] = requestsTo(requests, "PUT", `${ALIASES}/canary`);
    expect(await put!.json()).toEqual({ version_id: V1_ID, reason: "Try the older one" });
    // No baseline was asked for: not a protected alias.
    expect(requestsTo(requests, "GET", "/api/regression/baselines")).toHaveLength(0);
  });

  it("clears the reason after a move, and its message once the alias is rolled back from the list", async () => {
    let state = alias({ version: versionRef("v2"), updated_at: "2025-03-05T10:00:00Z" });
    const events = [aliasEvent(1, "set", null, "v2")];
    mockFetch(
      pageRoutes({
        [`GET ${MODEL}`]: () => json(200, model({ aliases: [state] })),
        [`GET ${ALIASES}/staging/history`]: () => json(200, historyPage(events)),
        [`PUT ${ALIASES}/staging`]: () => {
          state = alias({ version: versionRef("v1"), updated_at: "2025-03-06T10:00:00Z", rollback_to: versionRef("v2") });
          events.unshift(aliasEvent(3, "set", "v2", "v1"));
          return json(200, { alias: state, event: events[0], check: null });
        },
        [`POST ${ALIASES}/staging/rollback`]: () => {
          state = alias({ version: versionRef("v2"), updated_at: "2025-03-07T10:00:00Z", rollback_to: null });
          events.unshift(aliasEvent(4, "rollback", "v1", "v2"));
          return json(200, { alias: state, event: events[0], check: null });
        },
      }),
    );
    const { user } = renderApp(`/models/${MODEL_ID}`);

    await waitFor(() => expect(screen.getByTestId("models:move-version")).toHaveValue(V2_ID));
    await user.type(screen.getByTestId("models:move-alias"), "staging");
    await user.selectOptions(screen.getByTestId("models:move-version"), V1_ID);
    await user.type(screen.getByTestId("models:move-reason"), "Try the older one");
    await user.click(screen.getByTestId("models:move-submit"));
    expect(await screen.findByTestId("models:moved")).toHaveTextContent("staging now points at v1 (was v2).");
    expect(screen.getByTestId("models:move-reason")).toHaveValue("");
    await waitFor(() => expect(screen.getByTestId("models:alias-rollback")).toHaveTextContent("Roll back to v2"));
    expect(screen.getByTestId("models:moved")).toBeInTheDocument();

    await user.click(screen.getByTestId("models:alias-rollback"));
    await waitFor(() => expect(screen.getByTestId("models:alias-version")).toHaveTextContent("v2"));
    expect(screen.queryByTestId("models:moved")).not.toBeInTheDocument();
  });

  it("refuses a name the API would not take, before sending it", async () => {
    mockFetch(pageRoutes());
    const { user } = renderApp(`/models/${MODEL_ID}`);

    await waitFor(() => expect(screen.getByTestId("models:move-version")).toHaveValue(V2_ID));
    await user.type(screen.getByTestId("models:move-alias"), "latest");
    expect(screen.getByTestId("models:move-alias")).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByTestId("models:move-form")).toHaveTextContent('"latest" is reserved');
    expect(screen.getByTestId("models:move-submit")).toBeDisabled();
    await user.clear(screen.getByTestId("models:move-alias"));
    await user.type(screen.getByTestId("models:move-alias"), "Prod");
    expect(screen.getByTestId("models:move-submit")).toBeDisabled();
  });

  it("asks a protected alias for its baseline, and shows the report of a refused gate with its detail", async () => {
    const detail = "prod did not move: the regression check against baseline 'gemma-v1' is fail (significantly worse)";
    const { requests } = mockFetch(
      pageRoutes({ [`PUT ${ALIASES}/prod`]: () => json(409, { error: "GateRefused", detail, check: failReport() }) }),
    );
    const { user } = renderApp(`/models/${MODEL_ID}`);

    await waitFor(() => expect(screen.getByTestId("models:move-version")).toHaveValue(V2_ID));
    await user.type(screen.getByTestId("models:move-alias"), "prod");
    const baselineSelect = await screen.findByTestId("models:move-baseline");
    await waitFor(() => expect(baselineSelect).toHaveValue("gemma-v1"));
    await user.selectOptions(baselineSelect, "gemma-v0");
    await user.selectOptions(baselineSelect, "gemma-v1");
    await user.click(screen.getByTestId("models:move-submit"));

    const error = await screen.findByTestId("sys:error");
    expect(error).toHaveTextContent(`Not moved: GateRefused (HTTP 409) — ${detail}`);
    const report = within(screen.getByTestId("models:gate-report")).getByTestId("regression:report");
    expect(report).toHaveAttribute("data-verdict", "fail");
    expect(within(report).getByTestId("regression:reasons")).toHaveTextContent("significantly worse");
    expect(within(report).getByTestId("regression:delta")).toHaveTextContent("-0.175");
    const [put] = requestsTo(requests, "PUT", `${ALIASES}/prod`);
    expect(await put!.json()).toEqual({ version_id: V2_ID, baseline_name: "gemma-v1" });
    // The refusal joins prod's history: asked again.
    await waitFor(() => expect(requestsTo(requests, "GET", `${ALIASES}/prod/history`).length).toBeGreaterThan(1));
  });

  it("shows a passed gate's verdict with a link to its report", async () => {
    mockFetch(
      pageRoutes({
        [`PUT ${ALIASES}/prod`]: () =>
          json(200, {
            alias: alias({ alias: "prod", protected: true }),
            event: aliasEvent(4, "set", "v1", "v2", { alias: "prod", check_id: CHECK_ID }),
            check: failReport({ verdict: "pass" }),
          }),
      }),
    );
    const { user } = renderApp(`/models/${MODEL_ID}`);

    await waitFor(() => expect(screen.getByTestId("models:move-version")).toHaveValue(V2_ID));
    await user.type(screen.getByTestId("models:move-alias"), "prod");
    await waitFor(() => expect(screen.getByTestId("models:move-baseline")).toHaveValue("gemma-v1"));
    await user.click(screen.getByTestId("models:move-submit"));

    const moved = await screen.findByTestId("models:moved");
    expect(moved).toHaveTextContent("prod now points at v2 (was v1).");
    expect(moved).toHaveTextContent("Regression check against gemma-v1: pass");
    expect(within(moved).getByRole("link", { name: "the report" })).toHaveAttribute("href", `/regression?check=${CHECK_ID}`);
    expect(screen.queryByTestId("models:gate-report")).not.toBeInTheDocument();
  });

  it("asks for the baseline as soon as a server-protected name is typed, before any request, and marks the name", async () => {
    const { requests } = mockFetch(pageRoutes({ [`GET ${MODEL}`]: () => json(200, model({ protected_aliases: ["prod", "release"] })) }));
    const { user } = renderApp(`/models/${MODEL_ID}`);

    await waitFor(() => expect(screen.getByTestId("models:move-version")).toHaveValue(V2_ID));
    // release is protected on this server but not set on this model: the alias card says so.
    expect(screen.getByTestId("models:protected-unset")).toHaveTextContent("Not set yet: release protected");
    expect(screen.getByTestId("models:move-form")).toHaveTextContent("protected: prod, release");
    expect(screen.queryByTestId("models:move-baseline")).not.toBeInTheDocument();

    await user.type(screen.getByTestId("models:move-alias"), "release");
    const select = await screen.findByTestId("models:move-baseline");
    await waitFor(() => expect(select).toHaveValue("gemma-v1"));
    expect(screen.getByTestId("models:move-alias-protected")).toHaveTextContent("protected");
    expect(screen.getByTestId("models:move-form")).toHaveTextContent("release is protected: the version's run must pass a check against it");
    expect(requests.filter((r) => r.method !== "GET")).toHaveLength(0);
  });

  it("shows the baseline field when the server says a new alias is protected", async () => {
    let calls = 0;
    const { requests } = mockFetch(
      pageRoutes({
        [`PUT ${ALIASES}/release`]: () => {
          calls += 1;
          if (calls === 1) {
            return apiError(422, "ValidationError", [
              { loc: ["body", "baseline_name"], msg: "release is a protected alias: name the baseline its new version must pass", type: "missing" },
            ]);
          }
          return apiError(403, "ProtectedAliasNeedsToken", "release is a protected alias: moving it needs a write token");
        },
      }),
    );
    const { user } = renderApp(`/models/${MODEL_ID}`);

    await waitFor(() => expect(screen.getByTestId("models:move-version")).toHaveValue(V2_ID));
    await user.type(screen.getByTestId("models:move-alias"), "release");
    await user.click(screen.getByTestId("models:move-submit"));

    const message = await screen.findByTestId("models:move-field-error");
    expect(message).toHaveTextContent("release is a protected alias: name the baseline its new version must pass");
    const select = screen.getByTestId("models:move-baseline");
    await waitFor(() => expect(select).toHaveValue("gemma-v1"));
    await user.click(screen.getByTestId("models:move-submit"));
    expect(await screen.findByTestId("sys:error")).toHaveTextContent(
      "Not moved: ProtectedAliasNeedsToken (HTTP 403) — release is a protected alias: moving it needs a write token",
    );
    const puts = requestsTo(requests, "PUT", `${ALIASES}/release`);
    expect(await puts[1]!.json()).toEqual({ version_id: V2_ID, baseline_name: "gemma-v1" });
  });
});
