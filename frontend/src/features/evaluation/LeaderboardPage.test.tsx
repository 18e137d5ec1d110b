import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { datasetPage } from "../../test/datasets";
import { evaluationDetail, JUDGES, leaderboardPage, leaderboardRow, liveEvaluation } from "../../test/evaluations";
import { apiError, json, mockFetch, type RouteHandler } from "../../test/fetchMock";
import { renderApp } from "../../test/render";
import { TUNIX_AVAILABLE, TUNIX_WITH_LOCAL_MODEL } from "../../test/runs";

const BOARD = "/api/tunix/evaluations";

function boardRequests(requests: Request[]): URLSearchParams[] {
  return requests.filter((r) => r.method === "GET" && new URL(r.url).pathname === BOARD).map((r) => new URL(r.url).searchParams);
}

/** Everything the page reads: datasets duels-v1 and duels-v2, the judges, Tunix's models; the board as given. */
function boardRoutes(board: RouteHandler, routes: Record<string, RouteHandler> = {}): Record<string, RouteHandler> {
  return {
    [`GET ${BOARD}`]: board,
    "GET /api/datasets": () => json(200, datasetPage([1, 2], 0, null)),
    "GET /api/judges": () => json(200, JUDGES),
    "GET /api/tunix/status": () => json(200, TUNIX_AVAILABLE),
    ...routes,
  };
}

const BASE = leaderboardRow(2, {
  run_id: null,
  score: 52.5,
  primary_score: 0.525,
  interval: { low: 0.3713, high: 0.6741, method: "wilson" },
  n_scored: 38,
  n_unscored: 2,
  verdict: "fail",
  created_at: "2025-03-02T12:00:00Z",
});

describe("leaderboard", () => {
  it("ranks the rows as the server does, each with its score, 95% interval, scored count, verdict and links", async () => {
    mockFetch(boardRoutes(() => json(200, leaderboardPage([leaderboardRow(1), BASE]))));
    renderApp("/leaderboard");

    const rows = await screen.findAllByTestId("leaderboard:row");
    expect(rows).toHaveLength(2);
    const [run, base] = rows as [HTMLElement, HTMLElement];
    const cells = within(run).getAllByRole("cell").map((c) => c.textContent);
    expect(cells.slice(0, 8)).toEqual([
      "1",
      "tunix-rt/tiny-gemma3 run 00000001",
      "duels-v1",
      "eval",
      "exact_match v1",
      "77.5% (70.4–83.4)",
      "40",
      "pass",
    ]);
    expect(within(run).getByRole("img")).toHaveAccessibleName("score 77.5%, 95% interval 70.4–83.4%");
    expect(within(run).getByTestId("leaderboard:run-link")).toHaveAttribute("href", "/runs/00000001-0000-4000-8000-000000000001");
    // A run's evaluation opens on the run's page, at its section, that very evaluation.
    expect(within(run).getByTestId("leaderboard:open")).toHaveAttribute(
      "href",
      "/runs/00000001-0000-4000-8000-000000000001?evaluation=00000000-0000-4000-8000-000000000001#evaluation",
    );
    expect(within(run).getByRole("link", { name: "duels-v1" })).toHaveAttribute("href", "/datasets/duels-v1");

    // A base model has no run: labelled so, opened on its own page; its unscored items counted.
    expect(base).toHaveTextContent("base model");
    expect(within(base).queryByTestId("leaderboard:run-link")).not.toBeInTheDocument();
    expect(within(base).getByTestId("leaderboard:open")).toHaveAttribute("href", "/evaluations/00000000-0000-4000-8000-000000000002");
    expect(within(base).getByTestId("leaderboard:score")).toHaveTextContent("52.5% (37.1–67.4)");
    expect(within(base).getByTestId("leaderboard:n")).toHaveTextContent("38 +2 unscored");
    expect(within(base).getByTestId("leaderboard:verdict")).toHaveTextContent("fail");
  });

  it("puts each filter in the request, back to the first page", async () => {
    const { requests } = mockFetch(boardRoutes(() => json(200, leaderboardPage([leaderboardRow(1)], 25, 50))));
    const { user } = renderApp("/leaderboard?offset=25");

    await screen.findAllByTestId("leaderboard:row");
    expect(boardRequests(requests)[0]!.get("offset")).toBe("25");
    expect(boardRequests(requests)[0]!.get("limit")).toBe("25");

    await waitFor(() => expect(within(screen.getByTestId("leaderboard:filter-dataset")).getAllByRole("option")).toHaveLength(3));
    await user.selectOptions(screen.getByTestId("leaderboard:filter-dataset"), "duels-v2");
    await waitFor(() => expect(boardRequests(requests).at(-1)!.get("dataset_key")).toBe("duels-v2"));
    expect(boardRequests(requests).at(-1)!.get("offset")).toBe("0");

    await user.type(screen.getByTestId("leaderboard:filter-model"), "tunix-rt/tiny-gemma3{Enter}");
    await waitFor(() => expect(boardRequests(requests).at(-1)!.get("model_id")).toBe("tunix-rt/tiny-gemma3"));

    // Mock judges never reach the leaderboard: not offered.
    const judge = screen.getByTestId("leaderboard:filter-judge");
    await waitFor(() => expect(within(judge).getAllByRole("option").map((o) => o.textContent)).toEqual(["Any judge", "exact_match", "llm_judge"]));
    await user.selectOptions(judge, "exact_match");
    await waitFor(() => expect(boardRequests(requests).at(-1)!.get("judge")).toBe("exact_match"));

    fireEvent.change(screen.getByTestId("leaderboard:filter-from"), { target: { value: "2025-03-01" } });
    fireEvent.change(screen.getByTestId("leaderboard:filter-to"), { target: { value: "2025-03-02" } });
    await waitFor(() => expect(boardRequests(requests).at(-1)!.get("date_to")).not.toBeNull());
    const last = boardRequests(requests).at(-1)!;
    // The days, whole, in the browser's time zone.
    expect(last.get("date_from")).toBe(new Date("2025-03-01T00:00:00").toISOString());
    expect(last.get("date_to")).toBe(new Date("2025-03-02T23:59:59.999").toISOString());
    expect(last.get("dataset_key")).toBe("duels-v2");
    expect(last.get("model_id")).toBe("tunix-rt/tiny-gemma3");
    expect(last.get("judge")).toBe("exact_match");
  });

  it("reads the filters from the URL, and clears them", async () => {
    const { requests } = mockFetch(boardRoutes(() => json(200, leaderboardPage([]))));
    const { user } = renderApp("/leaderboard?dataset_key=duels-v9&judge=exact_match&model_id=m&date_from=nonsense");

    expect(await screen.findByTestId("leaderboard:empty")).toHaveTextContent("No evaluation matches these filters.");
    const first = boardRequests(requests)[0]!;
    expect(first.get("dataset_key")).toBe("duels-v9");
    expect(first.get("judge")).toBe("exact_match");
    expect(first.get("model_id")).toBe("m");
    expect(first.has("date_from")).toBe(false);
    expect(screen.getByTestId("leaderboard:filter-dataset")).toHaveValue("duels-v9");
    expect(screen.getByTestId("leaderboard:filter-model")).toHaveValue("m");

    await user.click(screen.getByRole("button", { name: "Clear filters" }));
    await waitFor(() => expect(screen.getByTestId("leaderboard:empty")).toHaveTextContent("No evaluations yet"));
    const cleared = boardRequests(requests).at(-1)!;
    expect([...cleared.keys()].sort()).toEqual(["limit", "offset"]);
    expect(screen.getByTestId("leaderboard:filter-model")).toHaveValue("");
  });

  it("pages with offset and next_offset, ranks counted across pages", async () => {
    const page1 = Array.from({ length: 25 }, (_, i) => leaderboardRow(i + 1));
    const { requests } = mockFetch(
      boardRoutes((request) =>
        new URL(request.url).searchParams.get("offset") === "25"
          ? json(200, leaderboardPage([leaderboardRow(26)], 25, null))
          : json(200, leaderboardPage(page1, 0, 25)),
      ),
    );
    const { user } = renderApp("/leaderboard");

    expect(await screen.findAllByTestId("leaderboard:row")).toHaveLength(25);
    expect(screen.getByTestId("leaderboard:prev-page")).toBeDisabled();
    expect(screen.getByTestId("leaderboard:page-range")).toHaveTextContent("1–25");
    await user.click(screen.getByTestId("leaderboard:next-page"));
    await waitFor(() => expect(screen.getAllByTestId("leaderboard:row")).toHaveLength(1));
    expect(within(screen.getByTestId("leaderboard:row")).getAllByRole("cell")[0]).toHaveTextContent("26");
    expect(screen.getByTestId("leaderboard:page-range")).toHaveTextContent("26–26");
    expect(screen.getByTestId("leaderboard:next-page")).toBeDisabled();
    await user.click(screen.getByTestId("leaderboard:prev-page"));
    await waitFor(() => expect(screen.getAllByTestId("leaderboard:row")).toHaveLength(25));
    expect(boardRequests(requests).map((p) => p.get("offset"))).toEqual(["0", "25"]);
  });

  it("reorders the page shown by score, count or date, keeping the server's rank", async () => {
    const rows = [
      leaderboardRow(1, { primary_score: 0.9, score: 90, n_scored: 10, created_at: "2025-03-01T00:00:00Z" }),
      leaderboardRow(2, { primary_score: 0.8, score: 80, n_scored: 30, created_at: "2025-03-03T00:00:00Z" }),
      leaderboardRow(3, { primary_score: 0.7, score: 70, n_scored: 20, created_at: "2025-03-02T00:00:00Z" }),
    ];
    mockFetch(boardRoutes(() => json(200, leaderboardPage(rows))));
    const { user } = renderApp("/leaderboard");
    const ranks = () => screen.getAllByTestId("leaderboard:row").map((row) => within(row).getAllByRole("cell")[0]!.textContent);

    await screen.findAllByTestId("leaderboard:row");
    expect(ranks()).toEqual(["1", "2", "3"]);
    await user.click(screen.getByTestId("leaderboard:sort-n"));
    expect(ranks()).toEqual(["2", "3", "1"]);
    expect(screen.getByTestId("leaderboard:sort-n").closest("th")).toHaveAttribute("aria-sort", "descending");
    await user.click(screen.getByTestId("leaderboard:sort-n"));
    expect(ranks()).toEqual(["1", "3", "2"]);
    await user.click(screen.getByTestId("leaderboard:sort-date"));
    expect(ranks()).toEqual(["2", "3", "1"]);
    expect(screen.getByTestId("leaderboard:page-range")).toHaveTextContent("this page reordered");
    await user.click(screen.getByTestId("leaderboard:sort-score"));
    expect(ranks()).toEqual(["1", "2", "3"]);
    await user.click(screen.getByTestId("leaderboard:sort-score"));
    expect(ranks()).toEqual(["3", "2", "1"]);
    await user.click(screen.getByTestId("leaderboard:sort-rank"));
    expect(ranks()).toEqual(["1", "2", "3"]);
  });

  it("shows why the leaderboard could not be read", async () => {
    mockFetch(boardRoutes(() => apiError(403, "Forbidden", "Token scope")));
    renderApp("/leaderboard");
    expect(await screen.findByTestId("sys:error")).toHaveTextContent("Could not load the leaderboard: Forbidden (HTTP 403) — Token scope");
  });
});

describe("leaderboard: evaluate a base model", () => {
  it("posts the model, dataset and judge, then links and follows the queued evaluation", async () => {
    const queued = liveEvaluation("pending", 0, 40, { id: "00000000-0000-4000-8000-0000000000b1", run_id: null, checkpoint_step: null });
    let polls = 0;
    const { requests } = mockFetch(
      boardRoutes(() => json(200, leaderboardPage([])), {
        "POST /api/evaluations": () => json(202, queued),
        [`GET /api/evaluations/${queued.id}`]: () =>
          json(200, polls++ === 0 ? liveEvaluation("running", 7, 40, { id: queued.id, run_id: null }) : evaluationDetail({ id: queued.id, run_id: null })),
      }),
    );
    const { user } = renderApp("/leaderboard");

    const judge = await screen.findByTestId("leaderboard:base-judge");
    await waitFor(() => expect(judge).toHaveValue("exact_match"));
    expect(within(judge).getByRole("option", { name: /llm_judge/ })).toBeDisabled();
    await waitFor(() => expect(screen.getByTestId("leaderboard:base-dataset")).toHaveValue("duels-v1"));
    await user.selectOptions(screen.getByTestId("leaderboard:base-dataset"), "duels-v2");
    await user.clear(screen.getByTestId("leaderboard:base-model-id"));
    await user.type(screen.getByTestId("leaderboard:base-model-id"), "tunix-rt/small-gemma3");
    await user.click(screen.getByTestId("leaderboard:base-submit"));

    const link = await screen.findByTestId("leaderboard:base-link");
    expect(link).toHaveAttribute("href", `/evaluations/${queued.id}`);
    const post = requests.find((r) => r.method === "POST")!;
    expect(new URL(post.url).searchParams.get("mode")).toBe("async");
    expect(await post.json()).toEqual({ model_id: "tunix-rt/small-gemma3", dataset_key: "duels-v2", judge: "exact_match", split: "eval", temperature: 0 });
    // Polled every second from the answer on.
    await waitFor(() => expect(screen.getByTestId("leaderboard:base-status")).toHaveTextContent("running"), { timeout: 3_000 });
    expect(screen.getByTestId("leaderboard:base-queued")).toHaveTextContent("7 / 40 items");
    await waitFor(() => expect(screen.getByTestId("leaderboard:base-status")).toHaveTextContent("completed"), { timeout: 3_000 });
    expect(screen.getByTestId("leaderboard:base-queued")).toHaveTextContent("65.0%");
  });

  it("offers the checkpoints under MODEL_DIR besides the built-in models, and evaluates one", async () => {
    const queued = liveEvaluation("pending", 0, 40, { id: "00000000-0000-4000-8000-0000000000b2", run_id: null, checkpoint_step: null });
    const { requests } = mockFetch(
      boardRoutes(() => json(200, leaderboardPage([])), {
        "GET /api/tunix/status": () => json(200, TUNIX_WITH_LOCAL_MODEL),
        "POST /api/evaluations": () => json(202, queued),
        [`GET /api/evaluations/${queued.id}`]: () => json(200, queued),
      }),
    );
    const { user } = renderApp("/leaderboard");

    const models = await screen.findByTestId("leaderboard:base-models");
    await waitFor(() => expect(models.querySelectorAll("option")).toHaveLength(3));
    expect([...models.querySelectorAll("option")].map((o) => [o.value, o.textContent])).toEqual([
      ["tunix-rt/tiny-gemma3", "Gemma 3, 2 layers, width 128 (~0.5M params)"],
      ["tunix-rt/small-gemma3", "Gemma 3, 4 layers, width 256 (~3.5M params)"],
      ["google/gemma-3-270m", "268M parameters, 1.1 GB — Google's Gemma 3 270M, pretrained (18 layers, width 640, 262k vocabulary)"],
    ]);
    expect(screen.queryByTestId("leaderboard:base-model-hint")).not.toBeInTheDocument();

    await waitFor(() => expect(screen.getByTestId("leaderboard:base-dataset")).toHaveValue("duels-v1"));
    await user.clear(screen.getByTestId("leaderboard:base-model-id"));
    await user.type(screen.getByTestId("leaderboard:base-model-id"), "google/gemma-3-270m");
    expect(screen.getByTestId("leaderboard:base-model-hint")).toHaveTextContent(
      "Google's Gemma 3 270M, pretrained (18 layers, width 640, 262k vocabulary) (268M parameters, 1.1 GB): a checkpoint under MODEL_DIR",
    );
    await user.click(screen.getByTestId("leaderboard:base-submit"));

    await screen.findByTestId("leaderboard:base-link");
    const post = requests.find((r) => r.method === "POST")!;
    expect(await post.json()).toMatchObject({ model_id: "google/gemma-3-270m", dataset_key: "duels-v1" });
  });

  it("shows a 404 for an unknown model", async () => {
    mockFetch(
      boardRoutes(() => json(200, leaderboardPage([])), {
        "POST /api/evaluations": () => apiError(404, "ModelNotFound", "model 'nope' is neither built in nor a local checkpoint"),
      }),
    );
    const { user } = renderApp("/leaderboard");

    await waitFor(() => expect(screen.getByTestId("leaderboard:base-dataset")).toHaveValue("duels-v1"));
    await user.clear(screen.getByTestId("leaderboard:base-model-id"));
    await user.type(screen.getByTestId("leaderboard:base-model-id"), "nope");
    await user.click(screen.getByTestId("leaderboard:base-submit"));
    expect(await screen.findByTestId("sys:error")).toHaveTextContent(
      "Not evaluated: ModelNotFound (HTTP 404) — model 'nope' is neither built in nor a local checkpoint",
    );
    expect(screen.queryByTestId("leaderboard:base-queued")).not.toBeInTheDocument();
  });
});
