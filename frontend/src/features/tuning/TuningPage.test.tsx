import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { apiError, json, mockFetch } from "../../test/fetchMock";
import { renderApp } from "../../test/render";
import { page as tracePage } from "../../test/traces";
import { JOB_ID, tuningDetail, tuningJob, tuningPage, tuningPageRoutes } from "../../test/tuning";

const JOBS = "/api/tuning/jobs";

async function formReady() {
  const form = await screen.findByTestId("tuning:form");
  await waitFor(() => expect(screen.getByTestId("tuning:model")).toHaveValue("tunix-rt/tiny-gemma3"));
  await waitFor(() => expect(screen.getByTestId("tuning:dataset")).toHaveValue("duels-v1"));
  return form;
}

function fieldErrors(): string[] {
  return screen.queryAllByTestId("tuning:field-error").map((item) => item.textContent ?? "");
}

describe("tuning page: the studies", () => {
  it("lists each study with its state, metric, trials and best metric, newest first as the server answers", async () => {
    const done = tuningJob({
      id: "00000000-0000-4000-8000-0000000000f2",
      name: "batch-sweep",
      status: "completed",
      metric_name: "train_loss",
      best_metric_value: 0.123456,
      num_samples: 8,
      max_concurrent_trials: 4,
      created_at: "2025-03-02T12:00:00Z",
    });
    const { pathsCalled } = mockFetch(tuningPageRoutes({ [`GET ${JOBS}`]: () => json(200, tuningPage([done, tuningJob()])) }));
    renderApp("/tuning");

    const rows = await screen.findAllByTestId("tuning:row");
    expect(rows.map((row) => row.dataset.status)).toEqual(["completed", "created"]);
    const [first, second] = rows as [HTMLElement, HTMLElement];
    expect(within(first).getByTestId("tuning:open")).toHaveTextContent("batch-sweep");
    expect(within(first).getByTestId("tuning:open")).toHaveAttribute("href", "/tuning/00000000-0000-4000-8000-0000000000f2");
    expect(within(first).getByTestId("tuning:status")).toHaveTextContent("completed");
    expect(within(first).getByTestId("tuning:metric")).toHaveTextContent("train_loss min");
    expect(within(first).getByTestId("tuning:trials")).toHaveTextContent("8 (4 at once)");
    expect(within(first).getByTestId("tuning:best")).toHaveTextContent("0.1235");
    expect(within(second).getByTestId("tuning:best")).toHaveTextContent("—");
    expect(within(second).getByTestId("tuning:open")).toHaveAttribute("href", `/tuning/${JOB_ID}`);
    expect(pathsCalled()).toContain(`GET ${JOBS}?limit=20&offset=0`);
  });

  it("says there are none yet", async () => {
    mockFetch(tuningPageRoutes());
    renderApp("/tuning");
    expect(await screen.findByTestId("tuning:empty")).toHaveTextContent("No studies yet");
  });

  it("shows the server's error when the list fails", async () => {
    mockFetch(tuningPageRoutes({ [`GET ${JOBS}`]: () => apiError(500, "InternalError", "database is locked") }));
    renderApp("/tuning");
    expect(await screen.findByText(/database is locked/)).toBeInTheDocument();
  });

  it("is reached from the main navigation", async () => {
    mockFetch(tuningPageRoutes({ "GET /api/traces": () => json(200, tracePage([], 0, null)) }));
    const { user } = renderApp("/traces");

    await user.click(screen.getByTestId("sys:nav-tuning"));
    expect(await screen.findByTestId("tuning:page")).toBeInTheDocument();
    expect(screen.getByTestId("sys:nav-tuning")).toHaveAttribute("aria-current", "page");
  });
});

describe("tuning page: a new study", () => {
  it("sends the study, its search space and the fixed settings, then opens its page", async () => {
    const { requests } = mockFetch(
      tuningPageRoutes({
        [`POST ${JOBS}`]: () => json(201, tuningJob()),
        [`GET ${JOBS}/:id`]: () => json(200, tuningDetail()),
      }),
    );
    const { user } = renderApp("/tuning");
    await formReady();

    // Name it first: nothing is sent without one.
    expect(screen.getByTestId("tuning:create")).toBeDisabled();
    expect(screen.getByTestId("tuning:submit-hint")).toHaveTextContent("Name the study.");
    await user.type(screen.getByTestId("tuning:name"), "lr-sweep");
    await user.selectOptions(screen.getByTestId("tuning:search-alg"), "optuna");
    await user.clear(screen.getByTestId("tuning:num-samples"));
    await user.type(screen.getByTestId("tuning:num-samples"), "4");

    // A second setting: batch size, a choice; it leaves the fixed batch size.
    await user.click(screen.getByTestId("tuning:space-add"));
    const rows = screen.getAllByTestId("tuning:space-row");
    expect(rows.map((row) => row.dataset.key)).toEqual(["learning_rate", "batch_size"]);
    const batch = rows[1]!;
    await user.clear(within(batch).getByTestId("tuning:space-values"));
    await user.type(within(batch).getByTestId("tuning:space-values"), "4, 8");
    expect(screen.getByTestId("tuning:training-batch-size")).toBeDisabled();
    // Setting types are those of the setting: a whole number takes no log-uniform range.
    const types = within(batch).getAllByRole("option").filter((o) => (o as HTMLOptionElement).value.match(/choice|randint|uniform/));
    expect(types.map((o) => (o as HTMLOptionElement).value)).toEqual(["choice", "randint"]);

    await user.click(screen.getByTestId("tuning:create"));

    await screen.findByTestId("tuning:detail");
    const post = requests.find((r) => r.method === "POST")!;
    expect(await post.json()).toEqual({
      name: "lr-sweep",
      dataset_key: "duels-v1",
      base_model_id: "tunix-rt/tiny-gemma3",
      metric_name: "eval_loss",
      metric_mode: "min",
      num_samples: 4,
      max_concurrent_trials: 2,
      search_alg: "optuna",
      scheduler: "asha",
      seed: 0,
      search_space: {
        learning_rate: { type: "loguniform", min: 0.001, max: 0.02 },
        batch_size: { type: "choice", values: [4, 8] },
      },
      training: { max_steps: 40, max_seq_length: 320, eval_every_n_steps: 10, checkpoint_every_n_steps: 40, num_generations: 0 },
    });
    expect(screen.getByTestId("tuning:status")).toHaveTextContent("created");
    expect(screen.getByTestId("tuning:start")).toBeEnabled();
  });

  it("checks the search space as it is typed, and sends nothing wrong", async () => {
    const { requests } = mockFetch(tuningPageRoutes());
    const { user } = renderApp("/tuning");
    await formReady();
    await user.type(screen.getByTestId("tuning:name"), "s");
    expect(screen.getByTestId("tuning:create")).toBeEnabled();

    const row = screen.getByTestId("tuning:space-row");
    const min = within(row).getByTestId("tuning:space-min");
    await user.clear(min);
    await user.type(min, "0");
    expect(fieldErrors()).toEqual(["Min: Above 0 for a log-uniform range."]);
    expect(min).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByTestId("tuning:create")).toBeDisabled();
    expect(screen.getByTestId("tuning:submit-hint")).toHaveTextContent("Fix the search space.");

    await user.clear(min);
    await user.type(min, "0.5");
    expect(fieldErrors()).toEqual(["Max: Above min."]);

    // A choice with no values.
    await user.selectOptions(within(row).getByTestId("tuning:space-type"), "choice");
    expect(fieldErrors()).toEqual(["Values: Give at least one value."]);
    await user.type(within(row).getByTestId("tuning:space-values"), "0.001, 0.01");
    expect(fieldErrors()).toEqual([]);

    // No setting at all.
    await user.click(within(row).getByTestId("tuning:space-remove"));
    expect(screen.queryAllByTestId("tuning:space-row")).toHaveLength(0);
    expect(fieldErrors()).toEqual(["Vary at least one setting."]);
    expect(screen.getByTestId("tuning:create")).toBeDisabled();

    // More at once than there are trials.
    await user.click(screen.getByTestId("tuning:space-add"));
    await user.clear(screen.getByTestId("tuning:max-concurrent"));
    await user.type(screen.getByTestId("tuning:max-concurrent"), "9");
    expect(fieldErrors()).toEqual(["At most the number of trials."]);

    expect(requests.some((r) => r.method === "POST")).toBe(false);
  });

  it("says eval_loss needs a dataset with an eval split", async () => {
    mockFetch(tuningPageRoutes());
    const { user } = renderApp("/tuning");
    await formReady();
    await user.type(screen.getByTestId("tuning:name"), "s");
    await user.selectOptions(screen.getByTestId("tuning:dataset"), "duels-v2");
    expect(fieldErrors()).toEqual(["duels-v2 holds no eval split, so trials report no eval_loss: tune on train_loss."]);
    expect(screen.getByTestId("tuning:create")).toBeDisabled();
    await user.selectOptions(screen.getByTestId("tuning:metric-name"), "train_loss");
    expect(fieldErrors()).toEqual([]);
    expect(screen.getByTestId("tuning:create")).toBeEnabled();
  });

  it("tunes on primary_score: higher is better, every trial to its end (no ASHA)", async () => {
    mockFetch(tuningPageRoutes());
    const { user } = renderApp("/tuning");
    await formReady();
    expect(screen.getByTestId("tuning:scheduler")).toHaveValue("asha");
    await user.selectOptions(screen.getByTestId("tuning:metric-name"), "primary_score");
    expect(screen.getByTestId("tuning:metric-mode")).toHaveValue("max");
    expect(screen.getByTestId("tuning:scheduler")).toHaveValue("fifo");
    expect(within(screen.getByTestId("tuning:scheduler")).getByRole("option", { name: "asha" })).toBeDisabled();
    await user.selectOptions(screen.getByTestId("tuning:dataset"), "duels-v2");
    expect(fieldErrors()).toEqual(["duels-v2 holds no eval split, so trials report no primary_score: tune on train_loss."]);
    // Back to a loss: lower is better again.
    await user.selectOptions(screen.getByTestId("tuning:metric-name"), "train_loss");
    expect(screen.getByTestId("tuning:metric-mode")).toHaveValue("min");
    expect(fieldErrors()).toEqual([]);
  });

  it("shows the server's 422s at their fields, and the rest in the summary", async () => {
    mockFetch(
      tuningPageRoutes({
        [`POST ${JOBS}`]: () =>
          apiError(422, "ValidationError", [
            { loc: ["body", "search_space", "learning_rate"], msg: "0.02: Input should be less than or equal to 0.01", type: "value_error" },
            { loc: ["body", "training", "max_seq_length"], msg: "Input should be greater than or equal to 16", type: "greater_than_equal" },
            { loc: ["body", "name"], msg: "String should have at most 200 characters", type: "string_too_long" },
            { loc: ["body"], msg: "something about the whole body", type: "value_error" },
          ]),
      }),
    );
    const { user } = renderApp("/tuning");
    await formReady();
    await user.type(screen.getByTestId("tuning:name"), "lr-sweep");
    await user.click(screen.getByTestId("tuning:create"));

    const summary = await screen.findByRole("alert");
    expect(summary).toHaveTextContent("Not created: 4 field errors, shown at the fields.");
    expect(summary).toHaveTextContent("something about the whole body");
    const row = screen.getByTestId("tuning:space-row");
    expect(within(row).getByTestId("tuning:field-error")).toHaveTextContent("0.02: Input should be less than or equal to 0.01");
    expect(within(row).getByTestId("tuning:space-min")).toHaveAttribute("aria-invalid", "true");
    const seqLength = screen.getByTestId("tuning:training-max-seq-length");
    expect(seqLength).toHaveAttribute("aria-invalid", "true");
    expect(seqLength.closest(".field")).toHaveTextContent("Input should be greater than or equal to 16");
    expect(screen.getByTestId("tuning:name").closest(".field")).toHaveTextContent("String should have at most 200 characters");
  });

  it("shows another error as the server's {error, detail}", async () => {
    mockFetch(
      tuningPageRoutes({
        [`POST ${JOBS}`]: () => apiError(501, "TuningNotAvailable", "Ray Tune is not installed here"),
      }),
    );
    const { user } = renderApp("/tuning");
    await formReady();
    await user.type(screen.getByTestId("tuning:name"), "lr-sweep");
    await user.click(screen.getByTestId("tuning:create"));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("Not created: TuningNotAvailable (HTTP 501) — Ray Tune is not installed here");
  });

  it("creates and starts, then opens the study", async () => {
    const { pathsCalled } = mockFetch(
      tuningPageRoutes({
        [`POST ${JOBS}`]: () => json(201, tuningJob()),
        [`POST ${JOBS}/:id/start`]: () => json(202, tuningJob({ status: "pending", queued_at: "2025-03-01T12:00:01Z" })),
        [`GET ${JOBS}/:id`]: () => json(200, tuningDetail({ status: "pending", queued_at: "2025-03-01T12:00:01Z" })),
      }),
    );
    const { user } = renderApp("/tuning");
    await formReady();
    await user.type(screen.getByTestId("tuning:name"), "lr-sweep");
    await user.click(screen.getByTestId("tuning:create-start"));

    expect(await screen.findByTestId("tuning:state-line")).toHaveTextContent("Queued: waiting for a worker");
    expect(pathsCalled().filter((p) => p.startsWith("POST"))).toEqual([`POST ${JOBS}`, `POST ${JOBS}/${JOB_ID}/start`]);
  });

  it("says a study created but not started is stored, with a link to it", async () => {
    mockFetch(
      tuningPageRoutes({
        [`POST ${JOBS}`]: () => json(201, tuningJob()),
        [`POST ${JOBS}/:id/start`]: () => apiError(503, "NoWorker", "No worker is running: start one with `tunix-rt worker`."),
      }),
    );
    const { user } = renderApp("/tuning");
    await formReady();
    await user.type(screen.getByTestId("tuning:name"), "lr-sweep");
    await user.click(screen.getByTestId("tuning:create-start"));

    const notStarted = await screen.findByTestId("tuning:not-started");
    expect(notStarted).toHaveTextContent("Created, but not started: NoWorker (HTTP 503)");
    expect(within(notStarted).getByTestId("tuning:not-started-link")).toHaveAttribute("href", `/tuning/${JOB_ID}`);
  });
});
