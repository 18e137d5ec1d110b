import { describe, expect, it } from "vitest";
import { LOCAL_MODEL, TUNIX_AVAILABLE } from "../../test/runs";
import {
  formatModelSize,
  formatParameterCount,
  isBuiltinModel,
  localModelLabel,
  localModelsOf,
  localModelSize,
  type LocalModel,
} from "./localModels";
import { DEMO_DEFAULTS, LOCAL_DEFAULTS, PRETRAINED_DEFAULTS, serverDefault } from "./runForm";

describe("local models", () => {
  it("labels one with its id, parameters and size on disk", () => {
    expect(localModelLabel(LOCAL_MODEL)).toBe("google/gemma-3-270m — 268M parameters, 1.1 GB");
    expect(localModelSize({ ...LOCAL_MODEL, parameters: null })).toBe("1.1 GB");
    expect(localModelLabel({ ...LOCAL_MODEL, parameters: null, size_bytes: 0 })).toBe("google/gemma-3-270m");
  });

  it("writes counts and sizes compactly", () => {
    expect(formatParameterCount(268_098_176)).toBe("268M");
    expect(formatParameterCount(1_500_000_000)).toBe("1.5B");
    expect(formatParameterCount(3_500_000)).toBe("3.5M");
    expect(formatModelSize(1_072_419_872)).toBe("1.1 GB");
    expect(formatModelSize(536_870_912)).toBe("537 MB");
    expect(formatModelSize(42_300_000)).toBe("42.3 MB");
    expect(formatModelSize(512)).toBe("512 B");
  });

  it("leaves out a local model that shadows a built-in id, and reads a status without any", () => {
    const shadow: LocalModel = { ...LOCAL_MODEL, model_id: "tunix-rt/tiny-gemma3" };
    expect(localModelsOf({ ...TUNIX_AVAILABLE, local_models: [shadow, LOCAL_MODEL] } as never)).toEqual([LOCAL_MODEL]);
    expect(localModelsOf(undefined)).toEqual([]);
  });

  it("tells built-in ids from checkpoints", () => {
    expect(isBuiltinModel("tunix-rt/tiny-gemma3")).toBe(true);
    expect(isBuiltinModel(" tunix-rt/small-gemma3 ")).toBe(true);
    expect(isBuiltinModel("google/gemma-3-270m")).toBe(false);
    expect(isBuiltinModel("/models/tunix-rt/x")).toBe(false);
  });
});

describe("run form defaults by model", () => {
  it("trains a checkpoint with LoRA at 2e-4, a toy model fully at the demo's rate", () => {
    expect(LOCAL_DEFAULTS).toMatchObject({ method: "lora", learningRate: "0.0002", batchSize: "4", maxSeqLength: "128" });
    expect(PRETRAINED_DEFAULTS).toMatchObject({ method: "lora", learningRate: "0.0002", batchSize: "8", maxSeqLength: "2048" });
    expect(DEMO_DEFAULTS).toMatchObject({ method: "full", learningRate: "0.005", batchSize: "8", maxSeqLength: "240" });
  });

  it("knows what the server gives a learning rate left out: 2e-4 only for LoRA on a checkpoint", () => {
    expect(serverDefault("learningRate", "lora", "google/gemma-3-270m")).toBe("0.0002");
    expect(serverDefault("learningRate", "full", "google/gemma-3-270m")).toBe("0.00002");
    expect(serverDefault("learningRate", "lora", "tunix-rt/tiny-gemma3")).toBe("0.00002");
    expect(serverDefault("batchSize", "lora", "google/gemma-3-270m")).toBe("8");
  });
});
