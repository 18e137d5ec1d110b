import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import {
  BASELINE_PAGE_SIZE,
  CHECK_PAGE_SIZE,
  type BaselineRequest,
  type CheckReport,
  type CheckRequest,
} from "./regression";

export type CheckListQuery = { baseline: string | null; offset: number };

/** Query keys of the regression domain. */
export const regressionKeys = {
  all: ["regression"] as const,
  baselines: () => [...regressionKeys.all, "baselines"] as const,
  baselineList: (offset: number) => [...regressionKeys.baselines(), "list", { offset }] as const,
  baseline: (name: string) => [...regressionKeys.baselines(), "detail", name] as const,
  checks: () => [...regressionKeys.all, "checks"] as const,
  checkList: (query: CheckListQuery) => [...regressionKeys.checks(), "list", query] as const,
  check: (checkId: string) => [...regressionKeys.checks(), "detail", checkId] as const,
};

/** A page of the baselines, by name; asked only when `enabled`. */
export function useBaselines(offset = 0, enabled = true) {
  return useQuery({
    queryKey: regressionKeys.baselineList(offset),
    enabled,
    queryFn: () => unwrap(api.GET("/api/regression/baselines", { params: { query: { limit: BASELINE_PAGE_SIZE, offset } } })),
    placeholderData: keepPreviousData,
  });
}

/** One baseline with every setting it has had (`history`, newest first); asked only when `enabled`. */
export function useBaseline(name: string, enabled = true) {
  return useQuery({
    queryKey: regressionKeys.baseline(name),
    enabled,
    queryFn: () => unwrap(api.GET("/api/regression/baselines/{name}", { params: { path: { name } } })),
  });
}

/** Sets a baseline (again, under its name: a new version). */
export function useSetBaseline() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: BaselineRequest) => unwrap(api.POST("/api/regression/baselines", { body })),
    onSuccess: (baseline) => {
      void queryClient.invalidateQueries({ queryKey: regressionKeys.baselines() });
      void queryClient.invalidateQueries({ queryKey: regressionKeys.baseline(baseline.name) });
    },
  });
}

/** Deletes a baseline and its history; the checks made against it stay. */
export function useDeleteBaseline(name: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.DELETE("/api/regression/baselines/{name}", { params: { path: { name } } })),
    onSuccess: () => {
      queryClient.removeQueries({ queryKey: regressionKeys.baseline(name) });
      void queryClient.invalidateQueries({ queryKey: regressionKeys.baselines() });
    },
  });
}

/** Checks a run against a baseline; the report is stored, so the history gains it. */
export function useCheckRun() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: CheckRequest) => unwrap(api.POST("/api/regression/check", { body })),
    onSuccess: (report: CheckReport) => {
      // A stored report never changes: the page shows this one without asking again.
      queryClient.setQueryData(regressionKeys.check(report.id), report);
      void queryClient.invalidateQueries({ queryKey: [...regressionKeys.checks(), "list"] });
    },
  });
}

/** A page of the stored checks, newest first, of one baseline or all. */
export function useChecks(query: CheckListQuery) {
  return useQuery({
    queryKey: regressionKeys.checkList(query),
    queryFn: () =>
      unwrap(
        api.GET("/api/regression/checks", {
          params: { query: { baseline: query.baseline ?? undefined, limit: CHECK_PAGE_SIZE, offset: query.offset } },
        }),
      ),
    placeholderData: keepPreviousData,
  });
}

/** A stored check's full report; it never changes once stored. */
export function useCheck(checkId: string | null) {
  return useQuery({
    queryKey: regressionKeys.check(checkId ?? ""),
    enabled: checkId !== null,
    queryFn: () => unwrap(api.GET("/api/regression/checks/{check_id}", { params: { path: { check_id: checkId ?? "" } } })),
    staleTime: Infinity,
  });
}
