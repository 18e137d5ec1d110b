import { json, type RouteHandler } from "./fetchMock";

export const SHA = "a".repeat(64);
export const TEMPLATE_SHA = "b".repeat(64);

export function datasetSummary(n: number) {
  return {
    dataset_key: `duels-v${n}`,
    name: "duels",
    version: n,
    description: n % 2 === 0 ? null : `Duels, version ${n}`,
    created_at: "2025-03-01T12:00:00Z",
    trace_count: 30,
    train_count: 27,
    eval_count: 3,
    content_sha256: SHA,
  };
}

export function datasetPage(versions: number[], offset: number, nextOffset: number | null) {
  return {
    data: versions.map(datasetSummary),
    pagination: { limit: 20, offset, next_offset: nextOffset, next_cursor: nextOffset === null ? null : "c" },
  };
}

const summaryStat = (min: number, max: number, mean: number, p50: number) => ({ min, max, mean, p50 });

export const SAMPLE = {
  prompt: "<start_of_turn>user\nHigh Card Duel: who wins?<end_of_turn>\n<start_of_turn>model\n",
  completion: "Reasoning:\n1. Player 1: the ace of spades, rank 14.\nAnswer: Player 1<end_of_turn>",
};

export function manifest(overrides: Record<string, unknown> = {}) {
  return {
    ...datasetSummary(1),
    id: "00000000-0000-4000-8000-0000000000d1",
    build: {
      strategy: "latest",
      seed: 42,
      limit: 1000,
      eval_ratio: 0.1,
      filters: { source: "ungar", min_score: null, created_after: null, created_before: null },
    },
    split: { train: 27, eval: 3 },
    stats: {
      prompt_chars: summaryStat(120, 140, 131.25, 130.5),
      final_answer_chars: summaryStat(3, 8, 7.4, 8),
      steps: summaryStat(3, 3, 3, 3),
      total_chars: summaryStat(260, 300, 281.1, 280),
      sources: { ungar: 28, arithmetic: 2 },
    },
    template: { name: "gemma-reasoning-v1", sha256: TEMPLATE_SHA, sample: SAMPLE },
    ...overrides,
  };
}

export const GENERATORS = [
  {
    name: "high_card_duel",
    description: "UNGAR's High Card Duel: two cards, the higher rank wins.",
    params_schema: { additionalProperties: false, properties: {}, title: "NoParams", type: "object" },
  },
  {
    name: "arithmetic",
    description: "Arithmetic with worked steps.",
    params_schema: {
      properties: {
        difficulty: { default: 2, description: "1: a+b … 5: a×b", maximum: 5, minimum: 1, title: "Difficulty", type: "integer" },
      },
      title: "ArithmeticParams",
      type: "object",
    },
  },
];

export const UNGAR_STATUS = {
  available: true,
  engine: "builtin",
  version: null,
  message: "UNGAR is not installed; High Card Duel uses Tunix RT's own implementation of the same rules.",
};

export function generated(generator: string, count: number, { seed = 7, repeated = 0 } = {}) {
  return {
    generator,
    seed,
    created: count,
    repeated,
    trace_ids: Array.from({ length: count }, (_, i) => `00000000-0000-4000-8000-${String(i + 1).padStart(12, "0")}`),
    preview: [
      {
        trace_version: "1.0",
        prompt: "What is 27 × 4?",
        final_answer: "108",
        steps: [{ i: 0, type: "parse", content: "Compute 27 × 4." }],
        meta: { source: generator },
      },
    ],
  };
}

/** Everything the Datasets page reads, answered as an empty server would. */
export function datasetsPageRoutes(routes: Record<string, RouteHandler> = {}): Record<string, RouteHandler> {
  return {
    "GET /api/datasets": () => json(200, datasetPage([], 0, null)),
    "POST /api/datasets/preview": () => json(200, { matching: 0, selected: 0 }),
    "GET /api/generators": () => json(200, GENERATORS),
    "GET /api/ungar/status": () => json(200, UNGAR_STATUS),
    ...routes,
  };
}

/** `count` members in dataset order; every tenth, from position 4, is held out (3 of `manifest()`'s 30). */
export function datasetMembers(count = 30) {
  return Array.from({ length: count }, (_, position) => ({
    trace_id: `00000000-0000-4000-8000-${String(position + 100).padStart(12, "0")}`,
    position,
    split: position % 10 === 4 ? "eval" : "train",
    prompt_preview: `High Card Duel ${position}: who wins?`,
    final_answer: `Player ${(position % 2) + 1}`,
  }));
}

/** `GET /api/datasets/:key/traces` as the server answers it: filtered by split, paged by limit and offset. */
export function membersRoute(count = 30): RouteHandler {
  const members = datasetMembers(count);
  return (request) => {
    const query = new URL(request.url).searchParams;
    const split = query.get("split") ?? "all";
    const limit = Number(query.get("limit") ?? 50);
    const offset = Number(query.get("offset") ?? 0);
    const matching = members.filter((m) => split === "all" || m.split === split);
    const more = offset + limit < matching.length;
    return json(200, {
      data: matching.slice(offset, offset + limit),
      pagination: { limit, offset, next_offset: more ? offset + limit : null, next_cursor: null },
    });
  };
}
