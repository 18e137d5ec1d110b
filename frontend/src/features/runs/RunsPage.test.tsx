import { act, renderHook, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it, onTestFinished, vi } from "vitest";
import { apiError, json, mockFetch, type RouteHandler } from "../../test/fetchMock";
import { manifest } from "../../test/datasets";
import { renderApp } from "../../test/render";
import {
  CHECKS,
  LOCAL_GENERATIONS,
  LOCAL_STDOUT,
  localRunResult,
  manyGenerations,
  RUN_ID,
  RUN_CONFIG,
  runDetail,
  runId,
  runListPage,
  runPageRoutes,
  runResult,
  runsPageRoutes,
  runSummary,
  TUNIX_AVAILABLE,
  TUNIX_UNAVAILABLE,
  TUNIX_WITH_LOCAL_MODEL,
} from "../../test/runs";
import { logLine } from "../../test/logChunks";
import { end, liveSse, logChunk, metric, status } from "../../test/sse";
import { useElapsedSeconds } from "./useElapsedSeconds";

async function runBodies(requests: Request[]): Promise<Record<string, unknown>[]> {
  const posts = requests.filter((r) => r.method === "POST" && new URL(r.url).pathname === "/api/tunix/run");
  return Promise.all(posts.map((r) => r.clone().json() as Promise<Record<string, unknown>>));
}

const DEMO_BODY = {
  dataset_key: "duels-v1",
  model_id: "tunix-rt/tiny-gemma3",
  method: "full",
  lr_schedule: "cosine",
  learning_rate: 0.005,
  batch_size: 8,
  max_seq_length: 240,
  num_epochs: 3,
  max_steps: 300,
  warmup_steps: 50,
  eval_every_n_steps: 50,
  checkpoint_every_n_steps: 100,
  seed: 0,
  num_generations: 8,
};

const WAITED = `/api/tunix/runs/${RUN_ID}`;
/** A training run of 20 steps as GET /runs/{id} tells it while it trains. */
const WAITED_RUNNING = {
  status: "running",
  mode: "local",
  completed_at: null,
  duration_seconds: null,
  exit_code: null,
  stdout: "",
  config: { ...RUN_CONFIG, dry_run: false, max_steps: 20 },
};

/** What POST /api/tunix/run?mode=async answers: the training run, queued. */
function queuedRun(overrides: Record<string, unknown> = {}) {
  return runResult({
    status: "pending",
    mode: "local",
    checks: [],
    exit_code: null,
    completed_at: null,
    duration_seconds: null,
    message: "Run queued: a worker will start it.",
    ...overrides,
  });
}

/** The same run as GET /runs/{id} tells it once it has ended: completed, unless overridden. */
function trainedDetail(overrides: Record<string, unknown> = {}) {
  return runDetail({ ...WAITED_RUNNING, ...localRunResult(), ...overrides });
}

/**
 * The Runs page with what Train and wait reads: the POST queues the run, GET /runs/{id}
 * answers `detail(id)`, and its stream says the run completed (a test may hold one open).
 */
function waitRoutes(detail: (runId: string) => unknown, routes: Record<string, RouteHandler> = {}) {
  return runsPageRoutes({
    ...runPageRoutes("completed"),
    "POST /api/tunix/run": () => json(202, queuedRun()),
    "GET /api/tunix/runs/:id": (_request, params) => json(200, detail(params.id!)),
    ...routes,
  });
}

describe("runs page: Tunix status", () => {
  it("shows Tunix's version, JAX's and the devices, with demo defaults for the built-in model", async () => {
    const { pathsCalled } = mockFetch(runsPageRoutes());
    renderApp("/runs");

    const status = await screen.findByTestId("run:tunix-status");
    await waitFor(() => expect(status).toHaveTextContent("Tunix 0.1.7 · JAX 0.10.2 · devices cpu:0"));
    expect(status).toHaveTextContent("Tunix available");
    expect(screen.getByRole("heading", { name: "Run with Tunix" })).toBeInTheDocument();

    await waitFor(() => expect(screen.getByTestId("run:dataset")).toHaveValue("duels-v1"));
    expect(within(screen.getByTestId("run:dataset")).getAllByRole("option").map((o) => o.textContent)).toEqual([
      "duels-v1 — 30 traces",
      "duels-v2 — 30 traces",
    ]);
    expect(screen.getByTestId("run:model")).toHaveValue("tunix-rt/tiny-gemma3");
    expect(screen.getByTestId("run:model").closest(".field")).toHaveTextContent("Gemma 3, 2 layers, width 128");
    expect(screen.getByTestId("run:learning-rate")).toHaveValue(0.005);
    expect(screen.getByTestId("run:batch-size")).toHaveValue(8);
    expect(screen.getByTestId("run:max-seq-length")).toHaveValue(240);
    expect(screen.getByTestId("run:max-steps")).toHaveValue(300);
    expect(screen.getByTestId("run:warmup-steps")).toHaveValue(50);
    expect(screen.queryByTestId("run:lora-rank")).not.toBeInTheDocument();
    expect(screen.getByTestId("run:queue")).toBeEnabled();
    expect(screen.getByTestId("run:train-wait")).toBeEnabled();
    expect(screen.getByTestId("run:dry-run")).toBeEnabled();
    expect(screen.getByTestId("run:placeholder")).toBeInTheDocument();
    expect(pathsCalled()).toContain("GET /api/datasets?limit=100&offset=0");
  });

  it("says why it cannot train when Tunix is not installed, and disables both training buttons", async () => {
    mockFetch(runsPageRoutes({ "GET /api/tunix/status": () => json(200, TUNIX_UNAVAILABLE) }));
    renderApp("/runs");

    const status = await screen.findByTestId("run:tunix-status");
    await waitFor(() => expect(status).toHaveAttribute("data-available", "false"));
    expect(status).toHaveTextContent("Tunix not installed");
    expect(status).toHaveTextContent("Tunix runtime not available. Install with");
    await waitFor(() => expect(screen.getByTestId("run:dataset")).toHaveValue("duels-v1"));
    for (const train of [screen.getByTestId("run:queue"), screen.getByTestId("run:train-wait")]) {
      expect(train).toBeDisabled();
      expect(train).toHaveAccessibleDescription("Tunix is not installed on the server: dry runs only.");
    }
    expect(screen.getByTestId("run:dry-run")).toBeEnabled();
  });

  it("shows why the status could not be read", async () => {
    mockFetch(runsPageRoutes({ "GET /api/tunix/status": () => apiError(403, "Forbidden", "Token scope") }));
    renderApp("/runs");
    expect(await screen.findByTestId("sys:error")).toHaveTextContent(
      "Could not ask whether Tunix is installed: Forbidden (HTTP 403) — Token scope",
    );
  });
});

describe("runs page: dry run", () => {
  it("sends the form and shows the result with each check", async () => {
    const { requests } = mockFetch(runsPageRoutes({ "POST /api/tunix/run": () => json(202, runResult()) }));
    const { user } = renderApp("/runs");

    await waitFor(() => expect(screen.getByTestId("run:dataset")).toHaveValue("duels-v1"));
    await user.click(screen.getByTestId("run:dry-run"));

    const result = await screen.findByTestId("run:result");
    expect(within(result).getByRole("heading", { name: "Dry run" })).toBeInTheDocument();
    expect(screen.getByTestId("run:status")).toHaveTextContent("completed");
    expect(screen.getByTestId("run:message")).toHaveTextContent("Dry-run completed successfully. Configuration is valid.");
    const checks = screen.getAllByTestId("run:check");
    expect(checks).toHaveLength(CHECKS.length);
    expect(checks[0]).toHaveTextContent("✓datasetduels-v1: 30 traces (27 train, 3 eval), template gemma-reasoning-v1");
    expect(within(checks[2]!).getByRole("img", { name: "passed" })).toBeInTheDocument();
    expect(screen.queryByTestId("run:summary")).not.toBeInTheDocument();
    expect(screen.queryByTestId("run:generations")).not.toBeInTheDocument();
    expect(screen.getByTestId("run:run-id")).toHaveTextContent(RUN_ID);
    expect(screen.getByTestId("run:output-dir-value")).toHaveTextContent(`runs/${RUN_ID}`);
    expect(screen.getByTestId("run:stdout")).toHaveTextContent("stdout (6 lines)");
    expect(screen.getByTestId("run:stderr")).toHaveTextContent("stderr (empty)");
    expect(screen.queryByTestId("run:placeholder")).not.toBeInTheDocument();

    expect(await runBodies(requests)).toEqual([{ ...DEMO_BODY, dry_run: true }]);
  });

  it("marks a failed check with ✗", async () => {
    const checks = [CHECKS[0]!, { name: "model", ok: false, detail: "model 'x' is neither built in nor a local checkpoint" }];
    mockFetch(
      runsPageRoutes({
        "POST /api/tunix/run": () =>
          json(202, runResult({ status: "failed", exit_code: 1, checks, message: "Dry-run failed its checks: model." })),
      }),
    );
    const { user } = renderApp("/runs");

    await waitFor(() => expect(screen.getByTestId("run:dataset")).toHaveValue("duels-v1"));
    await user.click(screen.getByTestId("run:dry-run"));

    expect(await screen.findByTestId("run:status")).toHaveTextContent("failed");
    expect(screen.getByTestId("run:message")).toHaveClass("error");
    const failed = screen.getAllByTestId("run:check")[1]!;
    expect(failed).toHaveAttribute("data-ok", "false");
    expect(within(failed).getByRole("img", { name: "failed" })).toHaveTextContent("✗");
    expect(failed).toHaveTextContent("model 'x' is neither built in nor a local checkpoint");
  });

  it("shows a 422 field error under output_dir", async () => {
    mockFetch(
      runsPageRoutes({
        "POST /api/tunix/run": () =>
          apiError(422, "ValidationError", [
            { loc: ["body", "output_dir"], msg: "Value error, '../escape' leaves ARTIFACTS_DIR", type: "value_error" },
          ]),
      }),
    );
    const { user } = renderApp("/runs");

    await waitFor(() => expect(screen.getByTestId("run:dataset")).toHaveValue("duels-v1"));
    await user.type(screen.getByTestId("run:output-dir"), "../escape");
    await user.click(screen.getByTestId("run:dry-run"));

    const [message] = await screen.findAllByTestId("run:field-error");
    expect(message).toHaveTextContent("Value error, '../escape' leaves ARTIFACTS_DIR");
    const outputDir = screen.getByTestId("run:output-dir");
    expect(outputDir).toHaveAttribute("aria-invalid", "true");
    expect(outputDir.closest(".field")).toContainElement(message!);
    expect(screen.getByTestId("sys:error")).toHaveTextContent("Not run: 1 field error, shown at the fields.");
    expect(screen.queryByTestId("run:result")).not.toBeInTheDocument();
  });

  it("preselects the dataset named in ?dataset= and runs on it", async () => {
    const { requests } = mockFetch(runsPageRoutes({ "POST /api/tunix/run": () => json(202, runResult()) }));
    const { user } = renderApp("/runs?dataset=duels-v2");

    await waitFor(() => expect(within(screen.getByTestId("run:dataset")).getAllByRole("option", { name: /duels-v1/ })).toHaveLength(1));
    expect(screen.getByTestId("run:dataset")).toHaveValue("duels-v2");
    await user.click(screen.getByTestId("run:dry-run"));
    await screen.findByTestId("run:result");
    expect((await runBodies(requests))[0]).toMatchObject({ dataset_key: "duels-v2" });

    await user.selectOptions(screen.getByTestId("run:dataset"), "duels-v1");
    expect(screen.getByTestId("run:dataset")).toHaveValue("duels-v1");
  });

  it("keeps a ?dataset= key the list does not hold, and shows the server's 404", async () => {
    mockFetch(
      runsPageRoutes({
        "POST /api/tunix/run": () => apiError(404, "DatasetNotFound", "Dataset 'gone-v9' not found."),
      }),
    );
    const { user } = renderApp("/runs?dataset=gone-v9");

    await waitFor(() => expect(within(screen.getByTestId("run:dataset")).getAllByRole("option", { name: /duels-v1/ })).toHaveLength(1));
    expect(screen.getByTestId("run:dataset")).toHaveValue("gone-v9");
    await user.click(screen.getByTestId("run:dry-run"));
    expect(await screen.findByTestId("sys:error")).toHaveTextContent(
      "Not run: DatasetNotFound (HTTP 404) — Dataset 'gone-v9' not found.",
    );
  });

  it("is opened with the dataset chosen from the dataset's page", async () => {
    mockFetch(runsPageRoutes({ "GET /api/datasets/:key": () => json(200, manifest({ dataset_key: "duels-v2" })) }));
    const { user } = renderApp("/datasets/duels-v2");

    const link = await screen.findByTestId("dataset:run-link");
    expect(link).toHaveAttribute("href", "/runs?dataset=duels-v2");
    await user.click(link);
    expect(await screen.findByTestId("run:form")).toBeInTheDocument();
    await waitFor(() => expect(within(screen.getByTestId("run:dataset")).getAllByRole("option", { name: /duels-v1/ })).toHaveLength(1));
    expect(screen.getByTestId("run:dataset")).toHaveValue("duels-v2");
  });

  it("says when there is no dataset to run on", async () => {
    mockFetch(
      runsPageRoutes({ "GET /api/datasets": () => json(200, { data: [], pagination: { limit: 100, offset: 0, next_offset: null } }) }),
    );
    renderApp("/runs");
    expect(await screen.findByText(/No datasets yet/)).toHaveTextContent("No datasets yet — build one first.");
    expect(screen.getByRole("link", { name: "build one" })).toHaveAttribute("href", "/datasets");
    expect(screen.getByTestId("run:dry-run")).toBeDisabled();
    expect(screen.getByTestId("run:queue")).toBeDisabled();
    expect(screen.getByTestId("run:train-wait")).toBeDisabled();
  });
  it("runs again once a token is saved after a 401", async () => {
    const { requests } = mockFetch(
      runsPageRoutes({
        "POST /api/tunix/run": (request) =>
          request.headers.get("Authorization") === "Bearer trt_good"
            ? json(202, runResult())
            : apiError(401, "Unauthorized", "Missing or invalid bearer token"),
      }),
    );
    const { user } = renderApp("/runs");

    await waitFor(() => expect(screen.getByTestId("run:dataset")).toHaveValue("duels-v1"));
    await user.click(screen.getByTestId("run:dry-run"));
    await user.type(await screen.findByTestId("sys:token-input"), "trt_good");
    await user.click(screen.getByTestId("sys:token-save"));

    expect(await screen.findByTestId("run:result")).toBeInTheDocument();
    expect(await runBodies(requests)).toEqual([
      { ...DEMO_BODY, dry_run: true },
      { ...DEMO_BODY, dry_run: true },
    ]);
  });
});

describe("runs page: the form", () => {
  it("says what an emptied field trains with: the server's default, not the value the form showed", async () => {
    const { requests } = mockFetch(runsPageRoutes({ "POST /api/tunix/run": () => json(202, runResult()) }));
    const { user } = renderApp("/runs");

    await waitFor(() => expect(screen.getByTestId("run:dataset")).toHaveValue("duels-v1"));
    const field = () => screen.getByTestId("run:learning-rate").closest(".field");
    expect(field()).not.toHaveTextContent("Blank");
    await user.clear(screen.getByTestId("run:learning-rate"));
    expect(field()).toHaveTextContent("Blank: the server's default, 0.00002.");
    expect(screen.getByTestId("run:learning-rate")).toHaveAccessibleDescription("Blank: the server's default, 0.00002.");
    await user.clear(screen.getByTestId("run:eval-every-n-steps"));
    expect(screen.getByTestId("run:eval-every-n-steps").closest(".field")).toHaveTextContent("Steps. Blank: the server's default, 50.");
    await user.clear(screen.getByTestId("run:max-steps"));
    expect(screen.getByTestId("run:max-steps").closest(".field")).toHaveTextContent("Blank: train for the epochs.");
    expect(screen.getByTestId("run:max-steps").closest(".field")).not.toHaveTextContent("server's default");
    await user.type(screen.getByTestId("run:learning-rate"), "0.01");
    expect(field()).not.toHaveTextContent("Blank");

    await user.clear(screen.getByTestId("run:learning-rate"));
    await user.click(screen.getByTestId("run:dry-run"));
    await screen.findByTestId("run:result");
    const [body] = await runBodies(requests);
    expect(body).not.toHaveProperty("learning_rate");
    expect(body).not.toHaveProperty("max_steps");
  });

  it("switches to the server's defaults for a checkpoint (LoRA at 2e-4) for another model, keeping edited fields", async () => {
    const { requests } = mockFetch(runsPageRoutes({ "POST /api/tunix/run": () => json(202, runResult()) }));
    const { user } = renderApp("/runs");

    await waitFor(() => expect(screen.getByTestId("run:dataset")).toHaveValue("duels-v1"));
    await user.clear(screen.getByTestId("run:batch-size"));
    await user.type(screen.getByTestId("run:batch-size"), "4");
    await user.selectOptions(screen.getByTestId("run:model"), "__other__");

    expect(screen.getByTestId("run:model").closest(".field")).toHaveTextContent("the server's for a pretrained checkpoint: LoRA at 2e-4");
    expect(screen.getByTestId("run:method")).toHaveValue("lora");
    expect(screen.getByTestId("run:lora-rank")).toHaveValue(8);
    expect(screen.getByTestId("run:learning-rate")).toHaveValue(0.0002);
    expect(screen.getByTestId("run:max-seq-length")).toHaveValue(2048);
    expect(screen.getByTestId("run:max-steps")).toHaveValue(null);
    expect(screen.getByTestId("run:warmup-steps")).toHaveValue(0);
    expect(screen.getByTestId("run:batch-size")).toHaveValue(4);
    await user.type(screen.getByTestId("run:model-other"), "google/gemma-3-270m-it");
    await user.clear(screen.getByTestId("run:lora-rank"));
    await user.type(screen.getByTestId("run:lora-rank"), "4");
    await user.selectOptions(screen.getByTestId("run:lr-schedule"), "linear");
    await user.type(screen.getByTestId("run:output-dir"), "  runs/gemma  ");
    // Enter in a field is a dry run, never training.
    await user.type(screen.getByTestId("run:seed"), "{Enter}");

    await screen.findByTestId("run:result");
    expect(await runBodies(requests)).toEqual([
      {
        dataset_key: "duels-v1",
        model_id: "google/gemma-3-270m-it",
        dry_run: true,
        method: "lora",
        lr_schedule: "linear",
        learning_rate: 0.0002,
        batch_size: 4,
        max_seq_length: 2048,
        num_epochs: 3,
        warmup_steps: 0,
        eval_every_n_steps: 50,
        checkpoint_every_n_steps: 100,
        seed: 0,
        num_generations: 8,
        lora_rank: 4,
        lora_alpha: 16,
        output_dir: "runs/gemma",
      },
    ]);

    await user.selectOptions(screen.getByTestId("run:model"), "tunix-rt/small-gemma3");
    expect(screen.getByTestId("run:learning-rate")).toHaveValue(0.005);
    expect(screen.getByTestId("run:method")).toHaveValue("full");
    expect(screen.getByTestId("run:model").closest(".field")).toHaveTextContent("Gemma 3, 4 layers, width 256");
    expect(screen.queryByTestId("run:model-other")).not.toBeInTheDocument();
  });

  it("runs nothing without a model id, and shows a model_id error at the model id input", async () => {
    mockFetch(
      runsPageRoutes({
        "POST /api/tunix/run": () =>
          apiError(422, "ValidationError", [
            { loc: ["body", "model_id"], msg: "No such model", type: "value_error" },
            { loc: ["body", "timeout_seconds"], msg: "unexpected", type: "x" },
          ]),
      }),
    );
    const { user } = renderApp("/runs");

    await waitFor(() => expect(screen.getByTestId("run:dataset")).toHaveValue("duels-v1"));
    await user.selectOptions(screen.getByTestId("run:model"), "__other__");
    // No model id yet: nothing to run (the server would answer 422).
    expect(screen.getByTestId("run:dry-run")).toBeDisabled();
    expect(screen.getByTestId("run:queue")).toBeDisabled();
    expect(screen.getByTestId("run:train-hint")).toHaveTextContent("Choose a model (or type a model id) to run.");

    await user.type(screen.getByTestId("run:model-other"), "no/such-model");
    await user.click(screen.getByTestId("run:dry-run"));

    expect(await screen.findByTestId("sys:error")).toHaveTextContent("Not run: 2 field errors, shown at the fields.");
    expect(screen.getByTestId("run:model-other").closest(".field")).toHaveTextContent("No such model");
    expect(screen.getByTestId("sys:error")).toHaveTextContent("timeout_seconds: unexpected");
  });

  it("keeps Dry run and the training buttons disabled until the server's Tunix status has answered", async () => {
    let answer: (response: Response) => void = () => {};
    const { requests } = mockFetch(
      runsPageRoutes({
        "GET /api/tunix/status": () => new Promise<Response>((resolve) => (answer = resolve)),
        "POST /api/tunix/run": () => json(202, runResult()),
      }),
    );
    const { user } = renderApp("/runs");

    await waitFor(() => expect(screen.getByTestId("run:dataset")).toHaveValue("duels-v1"));
    expect(screen.getByTestId("run:model")).toBeDisabled();
    expect(screen.getByTestId("run:model")).toHaveDisplayValue("Loading models…");
    expect(screen.queryByTestId("run:model-other")).not.toBeInTheDocument();
    expect(screen.getByTestId("run:dry-run")).toBeDisabled();
    expect(screen.getByTestId("run:queue")).toBeDisabled();
    expect(screen.getByTestId("run:train-wait")).toBeDisabled();
    expect(screen.getByTestId("run:train-hint")).toHaveTextContent("Checking the server's Tunix runtime and models…");
    // Enter in a field submits the form: it must not send a run without a model either.
    await user.type(screen.getByTestId("run:learning-rate"), "{Enter}");
    expect(requests.filter((r) => r.method === "POST")).toHaveLength(0);

    answer(json(200, TUNIX_AVAILABLE));
    await waitFor(() => expect(screen.getByTestId("run:dry-run")).toBeEnabled());
    expect(screen.getByTestId("run:queue")).toBeEnabled();
    expect(screen.getByTestId("run:train-wait")).toBeEnabled();
    expect(screen.getByTestId("run:model")).toHaveValue("tunix-rt/tiny-gemma3");
  });
});

describe("runs page: a form filled in by a link", () => {
  it("takes the model and training values from the URL, as if typed, and sends them", async () => {
    const { requests } = mockFetch(runsPageRoutes({ "POST /api/tunix/run": () => json(200, runResult()) }));
    const { user } = renderApp(
      "/runs?dataset=duels-v2&model=tunix-rt%2Fsmall-gemma3&learning_rate=0.0123&batch_size=4&max_steps=&lr_schedule=linear&method=qlora&seed=x",
    );

    await waitFor(() => expect(screen.getByTestId("run:model")).toHaveValue("tunix-rt/small-gemma3"));
    expect(screen.getByTestId("run:dataset")).toHaveValue("duels-v2");
    expect(screen.getByTestId("run:learning-rate")).toHaveValue(0.0123);
    expect(screen.getByTestId("run:batch-size")).toHaveValue(4);
    // Blank in the link: blank here (train for the epochs).
    expect(screen.getByTestId("run:max-steps")).toHaveValue(null);
    expect(screen.getByTestId("run:lr-schedule")).toHaveValue("linear");
    // What does not parse keeps the form's default.
    expect(screen.getByTestId("run:method")).toHaveValue("full");
    expect(screen.getByTestId("run:seed")).toHaveValue(0);

    await user.click(screen.getByTestId("run:dry-run"));
    await waitFor(async () => expect(await runBodies(requests)).toHaveLength(1));
    const [body] = await runBodies(requests);
    expect(body).toMatchObject({ dataset_key: "duels-v2", model_id: "tunix-rt/small-gemma3", learning_rate: 0.0123, batch_size: 4, lr_schedule: "linear" });
    expect(body).not.toHaveProperty("max_steps");
  });

  it("types in a model the server does not list as another model id", async () => {
    mockFetch(runsPageRoutes());
    renderApp("/runs?model=google%2Fgemma-3-1b&learning_rate=0.0003");
    await waitFor(() => expect(screen.getByTestId("run:model")).toHaveValue("__other__"));
    expect(screen.getByTestId("run:model-other")).toHaveValue("google/gemma-3-1b");
    expect(screen.getByTestId("run:learning-rate")).toHaveValue(0.0003);
  });
});

describe("runs page: a checkpoint under MODEL_DIR", () => {
  const localRoutes = () =>
    runsPageRoutes({
      "GET /api/tunix/status": () => json(200, TUNIX_WITH_LOCAL_MODEL),
      "POST /api/tunix/run": () => json(202, runResult()),
    });
  const LOCAL_BODY = {
    dataset_key: "duels-v1",
    model_id: "google/gemma-3-270m",
    dry_run: true,
    method: "lora",
    lr_schedule: "cosine",
    learning_rate: 0.0002,
    batch_size: 4,
    max_seq_length: 128,
    num_epochs: 3,
    max_steps: 50,
    warmup_steps: 5,
    eval_every_n_steps: 25,
    checkpoint_every_n_steps: 50,
    seed: 0,
    num_generations: 8,
    lora_rank: 8,
    lora_alpha: 16,
  };

  it("lists it after the built-in models with its size; the built-in one stays the default, with the demo's values", async () => {
    const { requests } = mockFetch(localRoutes());
    const { user } = renderApp("/runs");

    await waitFor(() => expect(screen.getByTestId("run:dataset")).toHaveValue("duels-v1"));
    const select = screen.getByTestId("run:model");
    await waitFor(() => expect(within(select).getAllByRole("option")).toHaveLength(4));
    expect(within(select).getAllByRole("option").map((o) => o.textContent)).toEqual([
      "tunix-rt/tiny-gemma3",
      "tunix-rt/small-gemma3",
      "google/gemma-3-270m — 268M parameters, 1.1 GB",
      "Other model id / local checkpoint…",
    ]);
    expect(within(select).getByRole("group", { name: "Local checkpoints (MODEL_DIR)" })).toHaveTextContent("google/gemma-3-270m");
    expect(select).toHaveValue("tunix-rt/tiny-gemma3");
    expect(screen.queryByTestId("run:model-note")).not.toBeInTheDocument();

    await user.click(screen.getByTestId("run:dry-run"));
    await screen.findByTestId("run:result");
    expect(await runBodies(requests)).toEqual([{ ...DEMO_BODY, dry_run: true }]);
  });

  it("shows its description and note when chosen, and trains it with LoRA at 2e-4 in CPU-sized batches", async () => {
    const { requests } = mockFetch(localRoutes());
    const { user } = renderApp("/runs");

    await waitFor(() => expect(screen.getByTestId("run:dataset")).toHaveValue("duels-v1"));
    await waitFor(() => expect(within(screen.getByTestId("run:model")).getAllByRole("option")).toHaveLength(4));
    await user.selectOptions(screen.getByTestId("run:model"), "google/gemma-3-270m");

    const model = screen.getByTestId("run:model");
    expect(screen.getByTestId("run:model-description")).toHaveTextContent(
      "Google's Gemma 3 270M, pretrained (18 layers, width 640, 262k vocabulary)",
    );
    const note = screen.getByTestId("run:model-note");
    expect(note).toBeVisible();
    expect(note).toHaveTextContent("on a CPU a LoRA step at batch 4 x 128 takes about 8 s");
    expect(note).toHaveClass("warning-text");
    // Read with the select: the hint describes it.
    expect(model).toHaveAccessibleDescription(expect.stringContaining("~8 GB of memory"));
    expect(screen.queryByTestId("run:model-other")).not.toBeInTheDocument();

    expect(screen.getByTestId("run:method")).toHaveValue("lora");
    expect(screen.getByTestId("run:learning-rate")).toHaveValue(0.0002);
    expect(screen.getByTestId("run:batch-size")).toHaveValue(4);
    expect(screen.getByTestId("run:max-seq-length")).toHaveValue(128);
    expect(screen.getByTestId("run:max-steps")).toHaveValue(50);
    expect(screen.getByTestId("run:lora-rank")).toHaveValue(8);
    expect(screen.getByTestId("run:lora-alpha")).toHaveValue(16);

    await user.click(screen.getByTestId("run:dry-run"));
    await screen.findByTestId("run:result");
    expect(await runBodies(requests)).toEqual([LOCAL_BODY]);

    // Back on a built-in model: the demo's values, full fine-tuning, no note.
    await user.selectOptions(screen.getByTestId("run:model"), "tunix-rt/small-gemma3");
    expect(screen.getByTestId("run:method")).toHaveValue("full");
    expect(screen.getByTestId("run:learning-rate")).toHaveValue(0.005);
    expect(screen.getByTestId("run:batch-size")).toHaveValue(8);
    expect(screen.queryByTestId("run:model-note")).not.toBeInTheDocument();
    expect(screen.queryByTestId("run:lora-rank")).not.toBeInTheDocument();
  });

  it("keeps what the user typed over its defaults, and says what a blank learning rate trains LoRA with", async () => {
    const { requests } = mockFetch(localRoutes());
    const { user } = renderApp("/runs");

    await waitFor(() => expect(screen.getByTestId("run:dataset")).toHaveValue("duels-v1"));
    await waitFor(() => expect(within(screen.getByTestId("run:model")).getAllByRole("option")).toHaveLength(4));
    await user.clear(screen.getByTestId("run:max-seq-length"));
    await user.type(screen.getByTestId("run:max-seq-length"), "256");
    await user.selectOptions(screen.getByTestId("run:model"), "google/gemma-3-270m");
    expect(screen.getByTestId("run:max-seq-length")).toHaveValue(256);

    const lr = screen.getByTestId("run:learning-rate");
    await user.clear(lr);
    expect(lr).toHaveAccessibleDescription("Blank: the server's default, 0.0002.");
    await user.click(screen.getByTestId("run:dry-run"));
    await screen.findByTestId("run:result");

    // Full fine-tuning chosen by hand: sent as shown, with the typed rate.
    await user.selectOptions(screen.getByTestId("run:method"), "full");
    expect(lr).toHaveAccessibleDescription("Blank: the server's default, 0.00002.");
    await user.type(lr, "0.00005");
    await user.click(screen.getByTestId("run:dry-run"));
    await waitFor(async () => expect(await runBodies(requests)).toHaveLength(2));

    const [lora, full] = await runBodies(requests);
    expect(lora).toEqual({ ...LOCAL_BODY, max_seq_length: 256, learning_rate: undefined });
    expect(lora).not.toHaveProperty("learning_rate");
    expect(full).toEqual({ ...LOCAL_BODY, method: "full", learning_rate: 0.00005, max_seq_length: 256, lora_rank: undefined, lora_alpha: undefined });
    expect(full).not.toHaveProperty("lora_rank");
  });

  it("says that a blank learning rate of a built-in model is 2e-5 even with LoRA", async () => {
    mockFetch(localRoutes());
    const { user } = renderApp("/runs");

    await waitFor(() => expect(screen.getByTestId("run:dataset")).toHaveValue("duels-v1"));
    await user.selectOptions(screen.getByTestId("run:method"), "lora");
    await user.clear(screen.getByTestId("run:learning-rate"));
    expect(screen.getByTestId("run:learning-rate")).toHaveAccessibleDescription("Blank: the server's default, 0.00002.");
  });
});

describe("runs page: labels of a new run", () => {
  it("sends a name and tags given under Labels, and none when left blank", async () => {
    const { requests } = mockFetch(runsPageRoutes({ "POST /api/tunix/run": () => json(202, runResult()) }));
    const { user } = renderApp("/runs");
    await waitFor(() => expect(screen.getByTestId("run:dataset")).toHaveValue("duels-v1"));

    const labels = screen.getByTestId("run:form-labels");
    expect(labels).not.toHaveAttribute("open");
    await user.click(within(labels).getByText("Labels"));
    await user.type(screen.getByTestId("run:label-name"), " lr sweep 1 ");
    await user.type(screen.getByTestId("run:label-tags"), "lr-sweep, baseline");
    await user.click(screen.getByTestId("run:dry-run"));
    await screen.findByTestId("run:result");

    await user.clear(screen.getByTestId("run:label-name"));
    await user.clear(screen.getByTestId("run:label-tags"));
    await user.click(screen.getByTestId("run:dry-run"));
    await waitFor(async () => expect(await runBodies(requests)).toHaveLength(2));
    expect(await runBodies(requests)).toEqual([
      { ...DEMO_BODY, dry_run: true, name: "lr sweep 1", tags: ["lr-sweep", "baseline"] },
      { ...DEMO_BODY, dry_run: true },
    ]);
  });

  it("shows a refused tag under the tag input, with the labels open", async () => {
    mockFetch(
      runsPageRoutes({
        "POST /api/tunix/run": () =>
          apiError(422, "ValidationError", [{ loc: ["body", "tags", 0], msg: "String should match pattern", type: "string_pattern_mismatch" }]),
      }),
    );
    const { user } = renderApp("/runs");
    await waitFor(() => expect(screen.getByTestId("run:dataset")).toHaveValue("duels-v1"));
    await user.click(within(screen.getByTestId("run:form-labels")).getByText("Labels"));
    await user.type(screen.getByTestId("run:label-tags"), "é");
    await user.click(screen.getByTestId("run:dry-run"));

    const tags = screen.getByTestId("run:label-tags");
    await waitFor(() => expect(tags).toHaveAttribute("aria-invalid", "true"));
    expect(within(tags.closest(".field") as HTMLElement).getByTestId("run:field-error")).toHaveTextContent(
      "Tag “é”: String should match pattern",
    );
    expect(screen.getByTestId("run:form-labels")).toHaveAttribute("open");
  });
});

describe("runs page: train and wait", () => {
  it("shows the 501's detail when the server cannot train", async () => {
    mockFetch(
      runsPageRoutes({
        "POST /api/tunix/run": () =>
          apiError(501, "TunixNotAvailable", "Tunix is not installed here, so dry_run=false cannot train."),
      }),
    );
    const { user } = renderApp("/runs");

    await waitFor(() => expect(screen.getByTestId("run:dataset")).toHaveValue("duels-v1"));
    await user.click(screen.getByTestId("run:train-wait"));

    expect(await screen.findByTestId("sys:error")).toHaveTextContent(
      "Not run: TunixNotAvailable (HTTP 501) — Tunix is not installed here, so dry_run=false cannot train.",
    );
  });

  it("queues the run and follows it live here (progress, loss curve, log) with the buttons disabled, then shows its result", async () => {
    const stream = liveSse();
    let detail = runDetail(WAITED_RUNNING);
    const { requests, pathsCalled } = mockFetch(
      waitRoutes(() => detail, {
        "GET /api/tunix/runs/:id/logs": () => stream.response,
        [`GET ${WAITED}/generations`]: () => json(200, LOCAL_GENERATIONS),
      }),
    );
    const { user } = renderApp("/runs");

    await waitFor(() => expect(screen.getByTestId("run:dataset")).toHaveValue("duels-v1"));
    await user.click(screen.getByTestId("run:train-wait"));

    // Queued (it answers at once with the run's id), then followed on this page.
    const waited = await screen.findByTestId("run:waited");
    expect(within(waited).getByTestId("run:status")).toHaveTextContent("running");
    expect(screen.getByTestId("run:waited-link")).toHaveAttribute("href", `/runs/${RUN_ID}`);
    expect(screen.getByTestId("run:train-wait")).toBeDisabled();
    expect(screen.getByTestId("run:train-wait")).toHaveTextContent("Training…");
    expect(screen.getByTestId("run:queue")).toBeDisabled();
    expect(screen.getByTestId("run:dry-run")).toBeDisabled();
    expect(await runBodies(requests)).toEqual([{ ...DEMO_BODY, dry_run: false }]);
    expect(new URL(requests.find((r) => r.method === "POST")!.url).search).toBe("?mode=async");

    stream.send(
      status("running"),
      logChunk(1, [logLine("model tunix-rt/tiny-gemma3 (full)")]),
      metric("train/loss", 1, 5.5),
      metric("train/loss", 2, 5.1),
    );
    await waitFor(() => expect(screen.getByTestId("run:log-state")).toHaveAttribute("data-connection", "open"));
    expect(await screen.findByText("model tunix-rt/tiny-gemma3 (full)")).toBeInTheDocument();
    await waitFor(() => expect(screen.getByTestId("run:progress-step")).toHaveTextContent("step 2 of 20"));
    expect(screen.getByTestId("run:progress-bar")).toHaveAttribute("aria-valuenow", "2");
    // The chart's library loads lazily.
    expect(await screen.findByTestId("run:curve-chart")).toHaveAttribute("data-points", "2");
    expect(screen.getByTestId("run:refresh-note")).toHaveTextContent("Live: this page follows the run's stream.");
    // The live view, not a bare counter of seconds.
    expect(screen.queryByTestId("run:pending")).not.toBeInTheDocument();
    expect(screen.queryByTestId("run:elapsed")).not.toBeInTheDocument();
    // The answers are asked for once the run has ended, not while it trains.
    expect(pathsCalled()).not.toContain(`GET ${WAITED}/generations`);

    detail = trainedDetail();
    stream.send(status("completed", 1, 1), end("completed", 1));

    await waitFor(() => expect(screen.getByTestId("run:message")).toHaveTextContent("Training completed: 20 steps, loss 5.557 -> 2.51."));
    const result = screen.getByTestId("run:result");
    expect(screen.queryByTestId("run:waited")).not.toBeInTheDocument();
    // The page stops waiting once it has seen the end.
    await waitFor(() => expect(screen.getByTestId("run:train-wait")).toBeEnabled());
    expect(screen.getByTestId("run:train-wait")).toHaveTextContent("Train and wait");
    expect(within(result).getByRole("heading", { name: "Training run" })).toBeInTheDocument();
    expect(within(result).getByTestId("run:status")).toHaveTextContent("completed");
    expect(screen.getByTestId("run:summary-steps")).toHaveTextContent("20");
    expect(screen.getByTestId("run:summary-loss")).toHaveTextContent("5.557 → 2.51");
    expect(screen.getByTestId("run:initial-loss")).toHaveAttribute("data-value", "5.557240009307861");
    expect(screen.getByTestId("run:final-loss")).toHaveAttribute("data-value", "2.5100038051605225");
    expect(screen.getByTestId("run:eval-loss")).toHaveTextContent("5.556 (at step 0)");
    // The server's counts: one of the three answers could not be scored.
    await waitFor(() => expect(screen.getByTestId("run:exact-match")).toHaveTextContent("1 of 2 scored correct (50%); 1 not scored"));
    expect(screen.getByTestId("run:exact-match")).toHaveAttribute("data-value", "0.5");
    expect(screen.getByTestId("run:steps-per-second")).toHaveTextContent("0.406");
    expect(screen.getByTestId("run:tokens-per-second")).toHaveTextContent("850");
    expect(screen.getByTestId("run:peak-rss")).toHaveTextContent("839 MB");
    expect(screen.getByTestId("run:wall-time")).toHaveTextContent("59 s");
    expect(screen.getByTestId("run:examples")).toHaveTextContent("train 27 · eval 3");
    expect(screen.getByTestId("run:latest-checkpoint")).toHaveTextContent("step 20 · checkpoints/20");
    expect(screen.getByTestId("run:summary-params_sha256")).toHaveTextContent("7db7cab8");
    expect(screen.getByTestId("run:started")).toHaveTextContent("took 1 min 8 s · exit code 0");
    expect(screen.getByTestId("run:result-link")).toHaveAttribute("href", `/runs/${RUN_ID}`);

    expect(screen.getByTestId("run:generations-score")).toHaveTextContent("1 of 2 scored correct (50%); 1 not scored");
    const rows = screen.getAllByTestId("run:generation");
    expect(rows).toHaveLength(3);
    expect(within(rows[0]!).getAllByRole("cell").map((c) => c.textContent)).toEqual(["What is 9 + 2?", "11", "Answer: 11", "✓"]);
    expect(within(rows[1]!).getAllByRole("cell").map((c) => c.textContent)).toEqual(["What is 3 + 4?", "7", "Answer: 8", "✗"]);
    expect(within(rows[2]!).getAllByRole("cell").map((c) => c.textContent)).toEqual(["What is 5 + 5?", "—", "(empty)", "?"]);
    expect(rows[0]).toHaveAttribute("data-correct", "true");
    expect(rows[2]).toHaveAttribute("data-correct", "null");
    expect(screen.queryByTestId("run:generations-toggle")).not.toBeInTheDocument();

    const stdout = screen.getByTestId("run:stdout");
    expect(stdout.tagName).toBe("DETAILS");
    expect(stdout).not.toHaveAttribute("open");
    expect(within(stdout).getByText(/"event":"generation"/).tagName).toBe("PRE");
    expect(within(stdout).getByText(/"event":"generation"/).textContent).toBe(LOCAL_STDOUT);
    expect(screen.getByTestId("run:stderr")).toHaveTextContent("stderr (1 line)W0301 warning from XLA");

    // The live view stays under the result: the whole curve and the log, the stream ended.
    expect(screen.getByTestId("run:curve-chart")).toHaveAttribute("data-points", "2");
    await waitFor(() => expect(screen.getByTestId("run:log-ended")).toHaveTextContent("— stream ended (completed) —"));
  });

  it("shows every held-out answer the server stored, counted by the server, not what the stdout tail kept", async () => {
    // The tail kept the last 25 answers (22 right); the run answered 100 (77 right).
    const tail = manyGenerations(25, 22).generations.map((g) => JSON.stringify({ event: "generation", ...g }));
    mockFetch(
      waitRoutes(() => trainedDetail({ stdout: tail.join("\n"), summary: { steps: 300, exact_match: 0.77, eval_examples: 100 } }), {
        [`GET ${WAITED}/generations`]: () => json(200, manyGenerations(100, 77)),
      }),
    );
    const { user } = renderApp("/runs");

    await waitFor(() => expect(screen.getByTestId("run:dataset")).toHaveValue("duels-v1"));
    await user.click(screen.getByTestId("run:train-wait"));

    const score = await screen.findByTestId("run:generations-score");
    expect(score).toHaveTextContent("77 of 100 correct (77%)");
    expect(score).toHaveAttribute("data-total", "100");
    expect(screen.getByTestId("run:exact-match")).toHaveTextContent("77 of 100 correct (77%)");
    expect(screen.getByTestId("run:exact-match")).not.toHaveTextContent("22");

    // A long list: the first 20, then all 100 on request.
    expect(screen.getAllByTestId("run:generation")).toHaveLength(20);
    expect(screen.getByTestId("run:generations-shown")).toHaveTextContent("First 20 of 100 shown.");
    const toggle = screen.getByTestId("run:generations-toggle");
    expect(toggle).toHaveTextContent("Show all 100");
    expect(toggle).toHaveAttribute("aria-expanded", "false");
    await user.click(toggle);
    const rows = screen.getAllByTestId("run:generation");
    expect(rows).toHaveLength(100);
    expect(rows.map((row) => row.getAttribute("data-index"))).toEqual(Array.from({ length: 100 }, (_, i) => String(i)));
    expect(rows.filter((row) => row.getAttribute("data-correct") === "true")).toHaveLength(77);
    expect(within(rows[99]!).getAllByRole("cell").map((c) => c.textContent)).toEqual(["What is 99 + 1?", "100", "Answer: 0", "✗"]);
    expect(toggle).toHaveTextContent("Show the first 20");
    await user.click(toggle);
    expect(screen.getAllByTestId("run:generation")).toHaveLength(20);
  });

  it("shows the summary's exact match alone when no answer was stored, and why the answers could not be read", async () => {
    let answers = () => json(200, { run_id: RUN_ID, generations: [], total: 0, correct: 0, exact_match: null });
    mockFetch(waitRoutes(() => trainedDetail(), { [`GET ${WAITED}/generations`]: () => answers() }));
    const { user, queryClient } = renderApp("/runs");

    await waitFor(() => expect(screen.getByTestId("run:dataset")).toHaveValue("duels-v1"));
    await user.click(screen.getByTestId("run:train-wait"));
    expect(await screen.findByTestId("run:exact-match")).toHaveTextContent("50% of the held-out prompts");
    await waitFor(() => expect(screen.queryByTestId("run:generations-loading")).not.toBeInTheDocument());
    expect(screen.queryByTestId("run:generations")).not.toBeInTheDocument();

    answers = () => apiError(503, "Unavailable", "restarting");
    await act(() => queryClient.resetQueries({ queryKey: ["runs", "detail", RUN_ID, "generations"] }));
    expect(await screen.findByTestId("sys:error")).toHaveTextContent(
      "Could not load the held-out answers: Unavailable (HTTP 503) — restarting",
    );
  });

  it("waits on a run no worker has claimed yet, saying so, and stops waiting once it is cancelled", async () => {
    const queued = { ...WAITED_RUNNING, status: "pending", attempt: 0, claimed_at: null, worker_id: null };
    let detail = runDetail(queued);
    const { requests } = mockFetch({
      ...waitRoutes(() => detail),
      ...runPageRoutes("pending"),
      [`POST ${WAITED}/cancel`]: () => {
        detail = runDetail({ ...queued, status: "cancelled", error: "Cancelled before it started." });
        return json(202, { run_id: RUN_ID, status: "cancelled", attempt: 0, started_at: "2025-03-01T12:00:00Z", completed_at: "2025-03-01T12:00:09Z", duration_seconds: null, error: "Cancelled before it started.", cancel_requested_at: null });
      },
    });
    const { user } = renderApp("/runs");

    await waitFor(() => expect(screen.getByTestId("run:dataset")).toHaveValue("duels-v1"));
    await user.click(screen.getByTestId("run:train-wait"));

    // Queued whether or not a worker runs (no 503 NoWorker): it starts when one does.
    expect(await screen.findByTestId("run:state-line")).toHaveTextContent("Queued: waiting for a worker to claim it.");
    expect(new URL(requests.find((r) => r.method === "POST")!.url).search).toBe("?mode=async");
    expect(screen.queryByTestId("run:progress")).not.toBeInTheDocument();
    expect(screen.queryByTestId("sys:error")).not.toBeInTheDocument();
    expect(screen.getByTestId("run:train-wait")).toBeDisabled();

    await user.click(screen.getByTestId("run:cancel"));
    await user.click(screen.getByTestId("run:cancel-confirm"));
    await waitFor(() => expect(screen.getByTestId("run:status")).toHaveTextContent("cancelled"));
    expect(screen.getByTestId("run:result")).toBeInTheDocument();
    expect(screen.queryByTestId("run:waited")).not.toBeInTheDocument();
    await waitFor(() => expect(screen.getByTestId("run:train-wait")).toBeEnabled());
  });

  it("shows a failed run's error, then a second run's timeout without a summary", async () => {
    const ended: Record<string, unknown> = {
      [RUN_ID]: trainedDetail({
        status: "failed",
        exit_code: 1,
        stdout: "",
        message: "Training failed: the training process exited with 1",
        summary: { error: "the training process exited with 1" },
      }),
      [runId(2)]: trainedDetail({
        run_id: runId(2),
        status: "timeout",
        message: "Training stopped after TUNIX_RUN_TIMEOUT_SECONDS=3600.",
        summary: null,
        exit_code: null,
        duration_seconds: null,
      }),
    };
    let posted = 0;
    mockFetch(
      waitRoutes((id) => ended[id], {
        "POST /api/tunix/run": () => json(202, queuedRun({ run_id: posted++ === 0 ? RUN_ID : runId(2) })),
      }),
    );
    const { user } = renderApp("/runs");

    await waitFor(() => expect(screen.getByTestId("run:dataset")).toHaveValue("duels-v1"));
    await user.click(screen.getByTestId("run:train-wait"));
    expect(await screen.findByTestId("run:summary-error")).toHaveTextContent("the training process exited with 1");
    expect(screen.getByTestId("run:status")).toHaveTextContent("failed");
    expect(screen.queryByTestId("run:generations")).not.toBeInTheDocument();

    await waitFor(() => expect(screen.getByTestId("run:train-wait")).toBeEnabled());
    await user.click(screen.getByTestId("run:train-wait"));
    await waitFor(() => expect(screen.getByTestId("run:status")).toHaveTextContent("timeout"));
    expect(screen.getByTestId("run:run-id")).toHaveTextContent(runId(2));
    expect(screen.getByTestId("run:message")).toHaveTextContent("Training stopped after TUNIX_RUN_TIMEOUT_SECONDS=3600.");
    expect(screen.queryByTestId("run:summary")).not.toBeInTheDocument();
    expect(screen.getByTestId("run:started")).not.toHaveTextContent("took");
  });
});

describe("runs page: async and the history", () => {
  it("makes queueing the primary button and waiting the secondary one, each saying which it is", async () => {
    mockFetch(runsPageRoutes());
    renderApp("/runs");

    await waitFor(() => expect(screen.getByTestId("run:queue")).toBeEnabled());
    const queue = screen.getByRole("button", { name: "Queue training" });
    const wait = screen.getByRole("button", { name: "Train and wait" });
    expect(queue).toBe(screen.getByTestId("run:queue"));
    expect(wait).toBe(screen.getByTestId("run:train-wait"));
    expect(queue).toHaveClass("primary");
    expect(wait).not.toHaveClass("primary");
    expect(screen.getByTestId("run:dry-run")).not.toHaveClass("primary");
    expect(queue).toHaveAccessibleDescription(/^Queue training: a worker trains the run and its page opens to follow it live/);
    expect(wait).toHaveAccessibleDescription(/Train and wait: queued the same way, followed live here until it ends, then its result\./);
    expect(screen.queryByTestId("run:async")).not.toBeInTheDocument();
  });

  it("queues the run with ?mode=async from the primary button and opens its page", async () => {
    let answer: (response: Response) => void = () => undefined;
    const { requests } = mockFetch(
      runsPageRoutes({
        "POST /api/tunix/run": () => new Promise<Response>((resolve) => (answer = resolve)),
        [`GET /api/tunix/runs/${RUN_ID}`]: () =>
          json(200, runDetail({ status: "pending", attempt: 0, claimed_at: null, completed_at: null, duration_seconds: null })),
      }),
    );
    const { user } = renderApp("/runs");

    await waitFor(() => expect(screen.getByTestId("run:dataset")).toHaveValue("duels-v1"));
    await user.click(screen.getByTestId("run:queue"));

    // Queueing answers at once: no "this request waits" panel, and the form waits for the answer.
    expect(await screen.findByText("Queueing…")).toBe(screen.getByTestId("run:queue"));
    expect(screen.getByTestId("run:train-wait")).toBeDisabled();
    expect(screen.queryByTestId("run:pending")).not.toBeInTheDocument();
    act(() => answer(json(202, runResult({ status: "pending", mode: "local", message: "Run queued: a worker will start it." }))));

    expect(await screen.findByTestId("run:detail-id")).toHaveTextContent(RUN_ID);
    expect(screen.getByTestId("run:state-line")).toHaveTextContent("Queued: waiting for a worker to claim it.");
    const post = requests.find((r) => r.method === "POST")!;
    expect(new URL(post.url).search).toBe("?mode=async");
    expect(await runBodies(requests)).toEqual([{ ...DEMO_BODY, dry_run: false }]);
  });

  it("checks a dry run in the request: no mode parameter, the result shown here, linking to the run's page", async () => {
    const { requests } = mockFetch(runsPageRoutes({ "POST /api/tunix/run": () => json(202, runResult()) }));
    const { user } = renderApp("/runs");

    await waitFor(() => expect(screen.getByTestId("run:dataset")).toHaveValue("duels-v1"));
    await user.click(screen.getByTestId("run:dry-run"));

    await screen.findByTestId("run:result");
    expect(screen.getByTestId("run:result-link")).toHaveAttribute("href", `/runs/${RUN_ID}`);
    expect(new URL(requests.find((r) => r.method === "POST")!.url).search).toBe("");
  });

  it("refreshes the history once a run is recorded", async () => {
    let recorded = false;
    mockFetch(
      runsPageRoutes({
        "POST /api/tunix/run": () => {
          recorded = true;
          return json(202, runResult());
        },
        "GET /api/tunix/runs": () => json(200, runListPage(recorded ? [runSummary(1, { run_id: RUN_ID })] : [])),
      }),
    );
    const { user } = renderApp("/runs");

    expect(await screen.findByTestId("run:list-empty")).toBeInTheDocument();
    await waitFor(() => expect(screen.getByTestId("run:dataset")).toHaveValue("duels-v1"));
    await user.click(screen.getByTestId("run:dry-run"));
    expect(await screen.findByTestId("run:row")).toHaveAttribute("data-run-id", RUN_ID);
  });
});

describe("runs page: the history while a waited-on run is live", () => {
  it("polls the history while the page waits on its run, so the running run shows up, then stops", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    onTestFinished(() => {
      vi.useRealTimers();
    });
    const stream = liveSse();
    let queued = false;
    let done = false;
    const { requests } = mockFetch(
      waitRoutes(() => (done ? trainedDetail() : runDetail(WAITED_RUNNING)), {
        "POST /api/tunix/run": () => {
          queued = true;
          return json(202, queuedRun());
        },
        "GET /api/tunix/runs": () =>
          json(200, runListPage(queued ? [runSummary(1, { run_id: RUN_ID, mode: "local", status: done ? "completed" : "running" })] : [])),
        "GET /api/tunix/runs/:id/logs": () => stream.response,
      }),
    );
    const lists = () => requests.filter((r) => new URL(r.url).pathname === "/api/tunix/runs").length;
    const { user } = renderApp("/runs");

    await waitFor(() => expect(screen.getByTestId("run:dataset")).toHaveValue("duels-v1"));
    await screen.findByTestId("run:list-empty");
    await act(() => vi.advanceTimersByTimeAsync(10_000));
    expect(lists()).toBe(1); // nothing live: no polling
    await user.click(screen.getByTestId("run:train-wait"));
    expect(await screen.findByTestId("run:list-live")).toBeInTheDocument();

    await act(() => vi.advanceTimersByTimeAsync(4_000));
    expect(await screen.findByTestId("run:row-status")).toHaveTextContent("running");

    done = true;
    stream.send(status("completed", 1, 1), end("completed", 1));
    await waitFor(() => expect(screen.getByTestId("run:row-status")).toHaveTextContent("completed"));
    await waitFor(() => expect(screen.getByTestId("run:train-wait")).toBeEnabled());
    const settled = lists();
    await act(() => vi.advanceTimersByTimeAsync(20_000));
    expect(lists()).toBe(settled);
    expect(screen.queryByTestId("run:list-live")).not.toBeInTheDocument();
  });
});

describe("useElapsedSeconds", () => {
  it("counts whole seconds while running, and 0 when stopped", () => {
    vi.useFakeTimers();
    try {
      const start = Date.now();
      const { result, rerender } = renderHook(({ since }: { since: number | null }) => useElapsedSeconds(since), {
        initialProps: { since: start as number | null },
      });
      expect(result.current).toBe(0);
      act(() => vi.advanceTimersByTime(3_200));
      expect(result.current).toBe(3);
      rerender({ since: null });
      expect(result.current).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
