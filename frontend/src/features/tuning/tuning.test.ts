import { describe, expect, it } from "vitest";
import { ApiError } from "../../api/errors";
import { prefilledRunPath, readRunPrefill } from "../runs/runForm";
import { runningDetail, TRIALS, trial } from "../../test/tuning";
import {
  bestRunValues,
  bestSoFar,
  curveSeriesName,
  describeParameter,
  describeParams,
  formatValue,
  newRow,
  nextFreeKey,
  placeTuningErrors,
  rowProblems,
  sortTrials,
  STUDY_DEFAULTS,
  studyProblems,
  toTuningRequest,
  TRAINING_DEFAULTS,
  trialNumbers,
  TUNABLE_KEYS,
  type SpaceRowValues,
  type TuningTrial,
} from "./tuning";

const row = (values: Partial<SpaceRowValues> & Pick<SpaceRowValues, "key">): SpaceRowValues => ({
  type: "choice",
  values: "",
  min: "",
  max: "",
  ...values,
});

describe("search-space rows", () => {
  it("start valid for every setting", () => {
    for (const key of TUNABLE_KEYS) expect(rowProblems(newRow(key, 0))).toEqual({});
  });

  it("need min below max, both given", () => {
    expect(rowProblems(row({ key: "learning_rate", type: "uniform", min: "0.01", max: "0.01" }))).toEqual({ max: "Above min." });
    expect(rowProblems(row({ key: "learning_rate", type: "uniform", min: "", max: "x" }))).toEqual({ min: "Required.", max: "Not a number." });
  });

  it("need a log-uniform range above 0, and whole ends for randint", () => {
    expect(rowProblems(row({ key: "learning_rate", type: "loguniform", min: "0", max: "0.1" }))).toEqual({
      min: "Above 0 for a log-uniform range.",
    });
    expect(rowProblems(row({ key: "batch_size", type: "randint", min: "1.5", max: "8" }))).toEqual({ min: "A whole number." });
  });

  it("need a choice's values, of the setting's kind", () => {
    expect(rowProblems(row({ key: "batch_size", values: " , " }))).toEqual({ values: "Give at least one value." });
    expect(rowProblems(row({ key: "batch_size", values: "4, 8.5" }))).toEqual({ values: "Whole numbers only." });
    expect(rowProblems(row({ key: "learning_rate", values: "0.1, fast" }))).toEqual({ values: "Not a number: fast." });
    expect(rowProblems(row({ key: "method", values: "lora, qlora" }))).toEqual({
      values: "Not method: qlora (one of full, lora).",
    });
  });

  it("refuse a type the setting does not take, and a setting varied twice", () => {
    expect(rowProblems(row({ key: "method", type: "uniform", min: "0", max: "1" }))).toEqual({ key: "method takes choice." });
    const twice = [row({ key: "seed", values: "1" }), row({ key: "seed", values: "2" })];
    expect(rowProblems(twice[0]!, twice)).toEqual({ key: "Varied by another row too." });
  });

  it("offer the next setting no row varies", () => {
    expect(nextFreeKey([newRow("learning_rate", 0)])).toBe("batch_size");
    expect(nextFreeKey(TUNABLE_KEYS.map((key, i) => newRow(key, i)))).toBeNull();
  });
});

describe("the create request", () => {
  it("sends the space's values typed, and leaves what it varies out of training", () => {
    const rows = [
      row({ key: "learning_rate", type: "loguniform", min: " 0.001", max: "0.02 " }),
      row({ key: "batch_size", values: "4, 8,16," }),
      row({ key: "lr_schedule", values: "cosine, linear" }),
    ];
    const body = toTuningRequest({ ...STUDY_DEFAULTS, name: " sweep " }, rows, { ...TRAINING_DEFAULTS, checkpoint_every_n_steps: "" }, {
      datasetKey: "duels-v1",
      modelId: "tunix-rt/tiny-gemma3",
    });
    expect(body).toEqual({
      name: "sweep",
      dataset_key: "duels-v1",
      base_model_id: "tunix-rt/tiny-gemma3",
      metric_name: "eval_loss",
      metric_mode: "min",
      num_samples: 8,
      max_concurrent_trials: 2,
      search_alg: "random",
      scheduler: "asha",
      seed: 0,
      search_space: {
        learning_rate: { type: "loguniform", min: 0.001, max: 0.02 },
        batch_size: { type: "choice", values: [4, 8, 16] },
        lr_schedule: { type: "choice", values: ["cosine", "linear"] },
      },
      training: { max_steps: 40, max_seq_length: 320, eval_every_n_steps: 10, num_generations: 0 },
    });
  });

  it("checks the study's numbers", () => {
    expect(studyProblems(STUDY_DEFAULTS)).toEqual({});
    expect(studyProblems({ ...STUDY_DEFAULTS, numSamples: "4", maxConcurrentTrials: "5" })).toEqual({
      maxConcurrentTrials: "At most the number of trials.",
    });
    expect(studyProblems({ ...STUDY_DEFAULTS, numSamples: "65", maxConcurrentTrials: "0", seed: "-1" })).toEqual({
      numSamples: "A whole number from 1 to 64.",
      maxConcurrentTrials: "A whole number from 1 to 16.",
      seed: "A whole number, 0 or more.",
    });
  });

  it("places each 422 at the input its path begins with", () => {
    const error = new ApiError(422, "ValidationError", [
      { loc: ["body", "search_space", "learning_rate"], msg: "loguniform needs min > 0", type: "value_error" },
      { loc: ["body", "search_space", "batch_size", "values", 0], msg: "bad", type: "x" },
      { loc: ["body", "training", "max_steps"], msg: "too big", type: "x" },
      { loc: ["body"], msg: "max_concurrent_trials (4) is more than num_samples (2)", type: "value_error" },
    ]);
    const placed = placeTuningErrors(error, ["name", "search_space", "search_space.learning_rate", "search_space.batch_size", "training.max_steps"]);
    expect(placed.at("search_space.learning_rate").map((e) => e.msg)).toEqual(["loguniform needs min > 0"]);
    expect(placed.at("search_space.batch_size").map((e) => e.msg)).toEqual(["bad"]);
    expect(placed.at("search_space")).toEqual([]);
    expect(placed.at("training.max_steps").map((e) => e.msg)).toEqual(["too big"]);
    expect(placed.unplaced.map((e) => e.msg)).toEqual(["max_concurrent_trials (4) is more than num_samples (2)"]);
    expect(placed.total).toBe(4);
  });
});

describe("trials", () => {
  const trials = TRIALS as TuningTrial[];
  const keys = (list: TuningTrial[]) => list.map((t) => t.trial_key.slice(-1));

  it("sort by metric either way, unmeasured last, or in the order they began", () => {
    expect(keys(sortTrials(trials, { key: "metric", descending: false }))).toEqual(["2", "1", "3", "4"]);
    expect(keys(sortTrials(trials, { key: "metric", descending: true }))).toEqual(["3", "1", "2", "4"]);
    expect(keys(sortTrials(trials, { key: "created", descending: false }))).toEqual(["1", "2", "3", "4"]);
    expect(keys(sortTrials(trials, { key: "created", descending: true }))).toEqual(["4", "3", "2", "1"]);
  });

  it("chart the best so far in the order they began", () => {
    expect(bestSoFar(trials, "min")).toEqual({ x: [1, 2, 3, 4], metric: [0.9, 0.5, 2.25, null], best: [0.9, 0.5, 0.5, 0.5] });
    expect(bestSoFar([trial(1, { metric_value: null }), trial(2, { metric_value: 3 })] as TuningTrial[], "max").best).toEqual([null, 3]);
  });

  it("are described for people", () => {
    expect(formatValue(0.0123456)).toBe("0.0123");
    expect(formatValue(16)).toBe("16");
    expect(formatValue("cosine")).toBe("cosine");
    expect(describeParameter({ type: "loguniform", min: 0.001, max: 0.02 })).toBe("log-uniform 0.001 – 0.02");
    expect(describeParameter({ type: "choice", values: [4, 8] })).toBe("one of 4, 8");
    expect(describeParameter({ type: "randint", min: 1, max: 3 })).toBe("whole numbers 1 – 3");
  });

  it("are numbered in the order they began, their settings told in a line, their curve read from the metric's series", () => {
    const numbers = trialNumbers(trials);
    expect(trials.map((t) => numbers.get(t.id))).toEqual([2, 1, 3, 4]);
    expect(describeParams(trials[0]!.params, ["learning_rate", "batch_size", "warmup_steps"])).toBe("learning_rate 0.0123, batch_size 4");
    expect(curveSeriesName("eval_loss")).toBe("eval/loss");
    expect(curveSeriesName("train_loss")).toBe("train/loss");
  });
});

describe("the best trial's settings as a run form", () => {
  it("are the study's fixed settings, the trial's, and the server's defaults for the rest", () => {
    const job = runningDetail();
    const values = bestRunValues(job, { learning_rate: 0.0123456, batch_size: 4 });
    expect(values).toMatchObject({
      learningRate: "0.0123456",
      batchSize: "4",
      maxSteps: "40",
      maxSeqLength: "320",
      evalEveryNSteps: "10",
      numGenerations: "0",
      method: "full",
      lrSchedule: "cosine",
      warmupSteps: "0",
      numEpochs: "3",
      outputDir: "",
    });
    // A pretrained checkpoint trains with LoRA at 2e-4 when neither is given.
    expect(bestRunValues({ base_model_id: "google/gemma-3-270m", training: {} }, {})).toMatchObject({
      method: "lora",
      learningRate: "0.0002",
      maxSteps: "",
    });
  });

  it("round-trip through the Runs page's URL", () => {
    const job = runningDetail();
    const values = bestRunValues(job, { learning_rate: 0.0123456, batch_size: 4 });
    const path = prefilledRunPath("duels-v1", "tunix-rt/tiny-gemma3", values);
    expect(path.startsWith("/runs?dataset=duels-v1&model=tunix-rt%2Ftiny-gemma3&learning_rate=0.0123456&batch_size=4")).toBe(true);
    // Everything but the output dir, which a link never fills in.
    const sent = Object.fromEntries(Object.entries(values).filter(([field]) => field !== "outputDir"));
    expect(readRunPrefill(new URL(path, "http://x").searchParams)).toEqual({ modelId: "tunix-rt/tiny-gemma3", values: sent });
  });

  it("leaves out what does not parse", () => {
    const params = new URLSearchParams("learning_rate=fast&method=qlora&lr_schedule=linear&batch_size=8&output_dir=/tmp");
    expect(readRunPrefill(params)).toEqual({ modelId: null, values: { lrSchedule: "linear", batchSize: "8" } });
  });
});
