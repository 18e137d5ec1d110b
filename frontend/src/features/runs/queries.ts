import { useMutation, useQuery } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../../api/client";
import { useDatasetList } from "../datasets/queries";

export type TunixStatus = Schemas["TunixStatus"];
export type RunRequest = Schemas["RunRequest"];
export type RunResult = Schemas["RunResult"];
export type RunCheck = Schemas["Check"];

/**
 * What the form sends: the dataset, the model and dry_run, and only the training
 * fields it has values for. The generated type lists every field with a server
 * default as required; a field left out takes that default on the server.
 */
export type RunRequestBody = Pick<RunRequest, "dataset_key" | "model_id" | "dry_run"> &
  Partial<Omit<RunRequest, "dataset_key" | "model_id" | "dry_run">>;

/** The datasets a run can name: the newest 100 (the API's largest page). */
export const RUN_DATASET_LIMIT = 100;

/** Query keys of the runs domain. */
export const runKeys = {
  all: ["runs"] as const,
  tunixStatus: () => [...runKeys.all, "tunix-status"] as const,
};

/** Whether the server can train (Tunix installed), its versions, devices and built-in models. */
export function useTunixStatus() {
  return useQuery({
    queryKey: runKeys.tunixStatus(),
    queryFn: () => unwrap(api.GET("/api/tunix/status")),
    // Installed packages and devices do not change while the server runs.
    staleTime: Infinity,
  });
}

/** The dataset choices of the run form (shares the datasets domain's cache and keys). */
export function useRunDatasets() {
  return useDatasetList(0, RUN_DATASET_LIMIT);
}

/**
 * A dry run (checks only, answered at once) or a local run, which the server
 * trains before it answers: the request stays open for the whole run.
 */
export function useRunTunix() {
  return useMutation({
    mutationFn: (body: RunRequestBody) =>
      unwrap(api.POST("/api/tunix/run", { body: body as RunRequest })),
  });
}
