import { isBuiltinModel } from "./localModels";
import type { RunRequestBody } from "./queries";

/** The run form's training inputs, as typed (numbers stay text until sent). */
export type RunFormValues = {
  learningRate: string;
  batchSize: string;
  maxSeqLength: string;
  numEpochs: string;
  maxSteps: string;
  method: "full" | "lora";
  loraRank: string;
  loraAlpha: string;
  lrSchedule: "cosine" | "linear" | "constant";
  warmupSteps: string;
  evalEveryNSteps: string;
  checkpointEveryNSteps: string;
  seed: string;
  numGenerations: string;
  outputDir: string;
};

export type RunFormField = keyof RunFormValues;

const COMMON_DEFAULTS = {
  numEpochs: "3",
  method: "full",
  loraRank: "8",
  loraAlpha: "16",
  lrSchedule: "cosine",
  evalEveryNSteps: "50",
  checkpointEveryNSteps: "100",
  seed: "0",
  numGenerations: "8",
  outputDir: "",
} as const;

/** For the built-in toy models: the demo run (`tunix-rt demo`), which takes High Card
 * Duel to about 80% held-out exact match in about a minute of CPU training. */
export const DEMO_DEFAULTS: RunFormValues = {
  ...COMMON_DEFAULTS,
  learningRate: "0.005",
  batchSize: "8",
  maxSeqLength: "240",
  maxSteps: "300",
  warmupSteps: "50",
};

/** The server's own defaults (see RunRequest): what a field left out trains with. */
export const SERVER_DEFAULTS: RunFormValues = {
  ...COMMON_DEFAULTS,
  learningRate: "0.00002",
  batchSize: "8",
  maxSeqLength: "2048",
  maxSteps: "",
  warmupSteps: "0",
};

/** The learning rate the server gives LoRA on a pretrained checkpoint when a request leaves it out. */
export const PRETRAINED_LORA_LEARNING_RATE = "0.0002";

/**
 * The server's defaults for a pretrained checkpoint (a model id not built in): a request
 * that leaves `method` and `learning_rate` out is trained with LoRA at 2e-4. For a model id
 * typed by hand.
 */
export const PRETRAINED_DEFAULTS: RunFormValues = {
  ...SERVER_DEFAULTS,
  method: "lora",
  learningRate: PRETRAINED_LORA_LEARNING_RATE,
};

/**
 * For a checkpoint the server lists under MODEL_DIR (e.g. Gemma 3 270M): LoRA at the
 * server's rate, in sizes a CPU trains in minutes (a step of 4 x 128 tokens takes ~8 s
 * for 270M parameters) rather than the server's 8 x 2048.
 */
export const LOCAL_DEFAULTS: RunFormValues = {
  ...PRETRAINED_DEFAULTS,
  batchSize: "4",
  maxSeqLength: "128",
  maxSteps: "50",
  warmupSteps: "5",
  evalEveryNSteps: "25",
  checkpointEveryNSteps: "50",
};

/** The request body field of each input (where a 422 points: `["body", <field>]`). */
export const BODY_FIELDS: Record<RunFormField, string> = {
  learningRate: "learning_rate",
  batchSize: "batch_size",
  maxSeqLength: "max_seq_length",
  numEpochs: "num_epochs",
  maxSteps: "max_steps",
  method: "method",
  loraRank: "lora_rank",
  loraAlpha: "lora_alpha",
  lrSchedule: "lr_schedule",
  warmupSteps: "warmup_steps",
  evalEveryNSteps: "eval_every_n_steps",
  checkpointEveryNSteps: "checkpoint_every_n_steps",
  seed: "seed",
  numGenerations: "num_generations",
  outputDir: "output_dir",
};

/**
 * What the server trains a field left out with, for this model and method: RunRequest's
 * defaults (SERVER_DEFAULTS), but 2e-4 for the learning rate of LoRA on a pretrained
 * checkpoint (a model id not built in).
 */
export function serverDefault(field: RunFormField, method: RunFormValues["method"], modelId: string): string {
  if (field === "learningRate" && method === "lora" && !isBuiltinModel(modelId)) return PRETRAINED_LORA_LEARNING_RATE;
  return SERVER_DEFAULTS[field];
}

/**
 * What an emptied input trains with: nothing is sent, so the server's default applies
 * (`serverDefault`). Shown under the field, so that clearing the toy model's 0.005 does
 * not silently train at 2e-5. Max steps and the output dir say what their blank means in
 * their own hints.
 */
export function blankMeaning(field: RunFormField, values: RunFormValues, modelId: string): string | null {
  if (values[field].trim() !== "" || field === "maxSteps" || field === "outputDir") return null;
  const fallback = serverDefault(field, values.method, modelId);
  return fallback === "" ? null : `Blank: the server's default, ${fallback}.`;
}

/** Input paths a 422 can point at, for inline messages. */
export const RUN_FIELD_PATHS = ["dataset_key", "model_id", ...Object.values(BODY_FIELDS)] as const;

const NUMBER_FIELDS = [
  "learningRate",
  "batchSize",
  "maxSeqLength",
  "numEpochs",
  "maxSteps",
  "warmupSteps",
  "evalEveryNSteps",
  "checkpointEveryNSteps",
  "seed",
  "numGenerations",
] as const satisfies readonly RunFormField[];

const LORA_FIELDS = ["loraRank", "loraAlpha"] as const satisfies readonly RunFormField[];

// A number input gives "" for text it cannot read, so nothing unparsed is ever sent.
function optionalNumber(text: string): number | undefined {
  const trimmed = text.trim();
  if (!trimmed) return undefined;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : undefined;
}

export type RunTarget = { datasetKey: string; modelId: string; dryRun: boolean };

/**
 * The POST /api/tunix/run body. An emptied number input is left out, so the server's
 * default applies (max_steps: train for num_epochs); LoRA's fields go only with LoRA.
 */
export function toRunRequest(values: RunFormValues, { datasetKey, modelId, dryRun }: RunTarget): RunRequestBody {
  const body: Record<string, unknown> = {
    dataset_key: datasetKey,
    model_id: modelId.trim(),
    dry_run: dryRun,
    method: values.method,
    lr_schedule: values.lrSchedule,
  };
  const numbers: readonly RunFormField[] = values.method === "lora" ? [...NUMBER_FIELDS, ...LORA_FIELDS] : NUMBER_FIELDS;
  for (const field of numbers) {
    const value = optionalNumber(values[field]);
    if (value !== undefined) body[BODY_FIELDS[field]] = value;
  }
  const outputDir = values.outputDir.trim();
  if (outputDir) body.output_dir = outputDir;
  return body as RunRequestBody;
}

/** The Runs page with a dataset chosen: `/runs?dataset=<key>`. */
export function runsPath(datasetKey: string): string {
  return `/runs?${new URLSearchParams({ dataset: datasetKey }).toString()}`;
}

/** The URL parameter that names the run form's model (`dataset` names its dataset). */
export const MODEL_PARAM = "model";

/** What a URL fills the run form in with: the model, and training values by their body names. */
export type RunPrefill = { modelId: string | null; values: Partial<RunFormValues> };

const WORD_VALUES: Partial<Record<RunFormField, readonly string[]>> = {
  method: ["full", "lora"],
  lrSchedule: ["cosine", "linear", "constant"],
};

/**
 * Reads `/runs?model=…&learning_rate=…` (each training value under its request body
 * name): a number that does not parse, or an unknown method or schedule, is left out.
 * The output dir is never prefilled.
 */
export function readRunPrefill(params: URLSearchParams): RunPrefill {
  const values: Partial<Record<RunFormField, string>> = {};
  for (const [field, name] of Object.entries(BODY_FIELDS) as [RunFormField, string][]) {
    if (field === "outputDir") continue;
    const raw = params.get(name);
    if (raw === null) continue;
    const text = raw.trim();
    const words = WORD_VALUES[field];
    if (words ? words.includes(text) : text === "" || Number.isFinite(Number(text))) values[field] = text;
  }
  const modelId = params.get(MODEL_PARAM)?.trim() || null;
  return { modelId, values: values as Partial<RunFormValues> };
}

/**
 * The Runs page with its form filled in: a dataset, a model and training values (say, a
 * tuning study's best trial's). A value left out takes the form's default; a blank one
 * stays blank (the server's default: for max steps, train for the epochs).
 */
export function prefilledRunPath(datasetKey: string, modelId: string, values: Partial<RunFormValues>): string {
  const params = new URLSearchParams({ dataset: datasetKey, [MODEL_PARAM]: modelId });
  for (const [field, name] of Object.entries(BODY_FIELDS) as [RunFormField, string][]) {
    const value = values[field];
    if (field !== "outputDir" && value !== undefined) params.set(name, value.trim());
  }
  return `/runs?${params.toString()}`;
}
