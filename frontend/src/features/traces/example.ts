import type { ReasoningTrace } from "./queries";

/** The example trace from the README. */
export const EXAMPLE_TRACE: ReasoningTrace = {
  trace_version: "1.0",
  prompt: "What is 27 × 19?",
  final_answer: "513",
  steps: [
    { i: 0, type: "parse", content: "Parse the multiplication task" },
    { i: 1, type: "compute", content: "Break down: 27 × 19 = 27 × (20 - 1)" },
    { i: 2, type: "result", content: "Final: 513" },
  ],
  meta: { source: "example" },
};

export const EXAMPLE_TRACE_JSON = JSON.stringify(EXAMPLE_TRACE, null, 2);
