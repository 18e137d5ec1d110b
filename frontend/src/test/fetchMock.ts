import { vi } from "vitest";

export type RouteHandler = (request: Request, params: Record<string, string>) => Response | Promise<Response>;

export function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

export function apiError(status: number, error: string, detail: unknown): Response {
  return json(status, { error, detail });
}

export const HEALTHY_ROUTES: Record<string, RouteHandler> = {
  "GET /api/health": () => json(200, { status: "healthy" }),
  "GET /api/redi/health": () => json(200, { status: "healthy", mode: "real" }),
};

function compile(pattern: string): RegExp {
  const source = pattern.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/:(\w+)/g, "(?<$1>[^/]+)");
  return new RegExp(`^${source}$`);
}

/**
 * Stubs the global fetch with handlers keyed by "METHOD /path" (":name" matches one
 * segment). Exact keys win over patterns. Unmatched requests answer 500 so a test
 * fails loudly. Returns the requests seen, in order.
 */
export function mockFetch(routes: Record<string, RouteHandler>, { withHealth = true } = {}) {
  const all = withHealth ? { ...HEALTHY_ROUTES, ...routes } : routes;
  const compiled = Object.entries(all).map(([key, handler]) => ({ key, regex: compile(key), handler }));
  const requests: Request[] = [];
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(input, init);
    requests.push(request.clone());
    const url = new URL(request.url);
    const key = `${request.method} ${url.pathname}`;
    const exact = all[key];
    if (exact) return exact(request, {});
    for (const route of compiled) {
      const match = route.regex.exec(key);
      if (match) return route.handler(request, { ...match.groups });
    }
    return apiError(500, "Unmocked", key);
  });
  vi.stubGlobal("fetch", fetchMock);
  return { fetchMock, requests, pathsCalled: () => requests.map((r) => `${r.method} ${new URL(r.url).pathname}${new URL(r.url).search}`) };
}
