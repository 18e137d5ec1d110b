import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../../api/client";
import { EMPTY_LIST_QUERY, listApiParams, type TraceListQuery } from "./listQuery";

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
  /** One page of the list: its filters and offset (a number: the unfiltered list's offset). */
  list: (query: TraceListQuery | number, limit: number = TRACE_PAGE_SIZE) =>
    [...traceKeys.lists(), { ...(typeof query === "number" ? { ...EMPTY_LIST_QUERY, offset: query } : query), limit }] as const,
  sources: () => [...traceKeys.all, "sources"] as const,
  detail: (id: string) => [...traceKeys.all, "detail", id] as const,
  comparison: (base: string, other: string) => [...traceKeys.all, "compare", { base, other }] as const,
};

export function useTraceList(query: TraceListQuery, limit: number = TRACE_PAGE_SIZE) {
  return useQuery({
    queryKey: traceKeys.list(query, limit),
    queryFn: () => unwrap(api.GET("/api/traces", { params: { query: listApiParams(query, limit) } })),
    placeholderData: keepPreviousData,
  });
}

/** The sources of stored traces, for the list's source filter. */
export function useTraceSources() {
  return useQuery({
    queryKey: traceKeys.sources(),
    queryFn: () => unwrap(api.GET("/api/traces/sources")),
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
    onSuccess: () => invalidateStored(queryClient),
  });
}

/** Stores one batch of traces, all or none (POST /api/traces/batch). */
export function useCreateTraceBatch() {
  return useMutation({
    // Traces read from a user's file: the server validates them, 422 item by item.
    mutationFn: (traces: unknown[]) => unwrap(api.POST("/api/traces/batch", { body: traces as ReasoningTrace[] })),
  });
}

/** After traces were stored: the lists and the sources may have changed. */
export function invalidateStored(queryClient: ReturnType<typeof useQueryClient>) {
  return Promise.all([
    queryClient.invalidateQueries({ queryKey: traceKeys.lists() }),
    queryClient.invalidateQueries({ queryKey: traceKeys.sources() }),
  ]);
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
