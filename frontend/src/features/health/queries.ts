import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";

export const HEALTH_REFETCH_INTERVAL_MS = 30_000;

export const healthKeys = {
  all: ["health"] as const,
  app: () => [...healthKeys.all, "app"] as const,
  redi: () => [...healthKeys.all, "redi"] as const,
};

export function useAppHealth() {
  return useQuery({
    queryKey: healthKeys.app(),
    queryFn: () => unwrap(api.GET("/api/health")),
    refetchInterval: HEALTH_REFETCH_INTERVAL_MS,
    retry: false,
  });
}

export function useRediHealth() {
  return useQuery({
    queryKey: healthKeys.redi(),
    queryFn: () => unwrap(api.GET("/api/redi/health")),
    refetchInterval: HEALTH_REFETCH_INTERVAL_MS,
    retry: false,
  });
}
