import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../../api/client";

export const TRACE_PAGE_SIZE = 20;

export type ReasoningTrace = Schemas["ReasoningTrace"];
export type TraceStep = Schemas["TraceStep"];
export type TraceSummary = Schemas["TraceSummary"];
export type TraceDetail = Schemas["TraceDetail"];
export type ScoreResult = Schemas["ScoreResult"];
export type TraceComparison = Schemas["TraceComparison"];

/** Query keys of the traces domain; invalidate `traceKeys.lists()` after a write. */
export const traceKeys = {
  all: ["traces"] as const,
  lists: () => [...traceKeys.all, "list"] as const,
  list: (offset: number, limit: number = TRACE_PAGE_SIZE) => [...traceKeys.lists(), { offset, limit }] as const,
  detail: (id: string) => [...traceKeys.all, "detail", id] as const,
  comparison: (base: string, other: string) => [...traceKeys.all, "compare", { base, other }] as const,
};

export function useTraceList(offset: number, limit: number = TRACE_PAGE_SIZE) {
  return useQuery({
    queryKey: traceKeys.list(offset, limit),
    queryFn: () => unwrap(api.GET("/api/traces", { params: { query: { limit, offset } } })),
    placeholderData: keepPreviousData,
  });
}

export function useTrace(id: string) {
  return useQuery({
    queryKey: traceKeys.detail(id),
    queryFn: () => unwrap(api.GET("/api/traces/{trace_id}", { params: { path: { trace_id: id } } })),
  });
}

export function useTraceComparison(base: string, other: string) {
  return useQuery({
    queryKey: traceKeys.comparison(base, other),
    queryFn: () => unwrap(api.GET("/api/traces/compare", { params: { query: { base, other } } })),
    enabled: Boolean(base && other),
  });
}

export function useCreateTrace() {
  const queryClient = useQueryClient();
  return useMutation({
    // The body is user-pasted JSON: the server validates it and answers 422 field by field.
    mutationFn: (trace: unknown) => unwrap(api.POST("/api/traces", { body: trace as ReasoningTrace })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: traceKeys.lists() }),
  });
}

export function useScoreTrace(id: string) {
  return useMutation({
    mutationFn: () =>
      unwrap(
        api.POST("/api/traces/{trace_id}/score", {
          params: { path: { trace_id: id } },
          body: { criteria: "baseline" },
        }),
      ),
  });
}
