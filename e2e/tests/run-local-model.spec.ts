import { closeSync, mkdirSync, openSync, rmSync, writeFileSync, writeSync, ftruncateSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "@playwright/test";
import { buildSumsDataset, shotOf } from "./helpers";

// The server lists the checkpoints under MODEL_DIR (DATA_DIR/models here) on each status
// call: two are faked there, as `tunix-rt model import gemma-3-270m` would leave one (its
// import record, weights whose header counts its parameters) and as a bare copy would
// (config.json alone). Nothing is trained: a dry run's request is what is checked.
const MODELS = join(process.env.E2E_DATA_DIR!, "models");
const GEMMA = join(MODELS, "google--gemma-3-270m");
const BARE = join(MODELS, "acme--tiny");
const PARAMETERS = 268_098_176;
const WEIGHT_BYTES = PARAMETERS * 4;
const DESCRIPTION = "Google's Gemma 3 270M, pretrained (18 layers, width 640, 262k vocabulary)";
const CPU_NOTE =
  "268M parameters: on a CPU a LoRA step at batch 4 x 128 takes about 8 s (the first ~40 s, compiling) and ~8 GB of memory";

/** A safetensors file of one float32 tensor: its header, then (sparse) zeros. */
function writeWeights(path: string): void {
  const header = Buffer.from(JSON.stringify({ weight: { dtype: "F32", shape: [PARAMETERS], data_offsets: [0, WEIGHT_BYTES] } }));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(header.length));
  const fd = openSync(path, "w");
  try {
    writeSync(fd, length);
    writeSync(fd, header);
    ftruncateSync(fd, 8 + header.length + WEIGHT_BYTES);
  } finally {
    closeSync(fd);
  }
}

test.beforeAll(() => {
  mkdirSync(GEMMA, { recursive: true });
  writeFileSync(join(GEMMA, "config.json"), JSON.stringify({ model_type: "gemma3_text" }));
  writeFileSync(join(GEMMA, "tunix-rt-import.json"), JSON.stringify({ description: DESCRIPTION, cpu_note: CPU_NOTE }));
  writeWeights(join(GEMMA, "model.safetensors"));
  mkdirSync(BARE, { recursive: true });
  writeFileSync(join(BARE, "config.json"), JSON.stringify({ model_type: "qwen2" }));
});

// The specs after this one see no local model.
test.afterAll(() => {
  rmSync(MODELS, { recursive: true, force: true });
});

test("the run form offers the checkpoints under MODEL_DIR, with LoRA defaults sized for a CPU", async ({ page, request }) => {
  const dataset = await buildSumsDataset(request, 8, "local-model-sums");

  await page.goto(`/runs?dataset=${dataset}`);
  const model = page.getByTestId("run:model");
  await expect(model).toHaveValue("tunix-rt/tiny-gemma3");
  const options = model.locator("option");
  await expect(options).toHaveText([
    "tunix-rt/tiny-gemma3",
    "tunix-rt/small-gemma3",
    "acme/tiny",
    "google/gemma-3-270m — 268M parameters, 1.1 GB",
    "Other model id / local checkpoint…",
  ]);
  await expect(page.getByTestId("run:learning-rate")).toHaveValue("0.005");
  await expect(page.getByTestId("run:method")).toHaveValue("full");

  await model.selectOption("google/gemma-3-270m");
  await expect(page.getByTestId("run:model-description")).toHaveText(DESCRIPTION);
  await expect(page.getByTestId("run:model-note")).toBeVisible();
  await expect(page.getByTestId("run:model-note")).toHaveText(CPU_NOTE);
  await expect(page.getByTestId("run:method")).toHaveValue("lora");
  await expect(page.getByTestId("run:learning-rate")).toHaveValue("0.0002");
  await expect(page.getByTestId("run:batch-size")).toHaveValue("4");
  await expect(page.getByTestId("run:max-seq-length")).toHaveValue("128");
  await expect(page.getByTestId("run:lora-rank")).toBeVisible();
  // Tall enough for the whole form below the sticky header, unscrolled (docs/run-form-local-model.png).
  await page.setViewportSize({ width: 1280, height: 1600 });
  await page.evaluate(() => window.scrollTo({ top: 0, behavior: "instant" }));
  await shotOf(page.getByTestId("run:form"), "run-form-local-model");

  // The request is what the form shows (the server would check the fake checkpoint's files).
  const posted = page.waitForRequest((r) => r.method() === "POST" && new URL(r.url()).pathname === "/api/tunix/run");
  await page.getByTestId("run:dry-run").click();
  expect((await posted).postDataJSON()).toMatchObject({
    dataset_key: dataset,
    model_id: "google/gemma-3-270m",
    dry_run: true,
    method: "lora",
    learning_rate: 0.0002,
    batch_size: 4,
    max_seq_length: 128,
    lora_rank: 8,
    lora_alpha: 16,
  });

  // A bare checkpoint: no size known, no note; the same defaults.
  await model.selectOption("acme/tiny");
  await expect(page.getByTestId("run:model-description")).toHaveText("qwen2 checkpoint");
  await expect(page.getByTestId("run:model-note")).toHaveCount(0);
  await expect(page.getByTestId("run:method")).toHaveValue("lora");

  // The base-model evaluation offers them too.
  await page.goto("/leaderboard");
  const listed = page.getByTestId("leaderboard:base-models").locator("option");
  await expect(listed).toHaveCount(4);
  await expect(listed.nth(3)).toHaveAttribute("value", "google/gemma-3-270m");
});
