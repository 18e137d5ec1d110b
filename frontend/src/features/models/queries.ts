import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import { attachmentName } from "../../ui/saveBlob";
import {
  ALIAS_HISTORY_PAGE_SIZE,
  MODEL_PAGE_SIZE,
  VERSION_PAGE_SIZE,
  withGateReport,
  type AliasRequest,
  type Model,
  type ModelCreateBody,
  type ModelVersion,
  type PromoteRequest,
} from "./models";

/**
 * Query keys of the model registry. Everything about one model (its versions, its
 * aliases' histories) sits under `modelKeys.detail(id)`, so a move invalidates it all.
 */
export const modelKeys = {
  all: ["models"] as const,
  lists: () => [...modelKeys.all, "list"] as const,
  list: (offset: number, limit: number) => [...modelKeys.lists(), { offset, limit }] as const,
  details: () => [...modelKeys.all, "detail"] as const,
  detail: (modelId: string) => [...modelKeys.details(), modelId] as const,
  model: (modelId: string) => [...modelKeys.detail(modelId), "model"] as const,
  versions: (modelId: string) => [...modelKeys.detail(modelId), "versions"] as const,
  aliasHistory: (modelId: string, alias: string, offset: number) =>
    [...modelKeys.detail(modelId), "alias-history", alias, { offset }] as const,
  // Under the model: a move of an alias changes the aliases the lineage ends with.
  lineage: (modelId: string, versionId: string) => [...modelKeys.detail(modelId), "lineage", versionId] as const,
  // Across models: a promotion (into any model) adds to these.
  ofRuns: () => [...modelKeys.all, "of-run"] as const,
  ofRun: (runId: string) => [...modelKeys.ofRuns(), runId] as const,
  builtOnAll: () => [...modelKeys.all, "built-on"] as const,
  builtOn: (datasetKey: string) => [...modelKeys.builtOnAll(), datasetKey] as const,
};

/** A page of the models, by name, each with its newest version and aliases. */
export function useModels(offset = 0, limit = MODEL_PAGE_SIZE) {
  return useQuery({
    queryKey: modelKeys.list(offset, limit),
    queryFn: () => unwrap(api.GET("/api/models", { params: { query: { limit, offset } } })),
    placeholderData: keepPreviousData,
  });
}

export function useModel(modelId: string) {
  return useQuery({
    queryKey: modelKeys.model(modelId),
    queryFn: () => unwrap(api.GET("/api/models/{model_id}", { params: { path: { model_id: modelId } } })),
  });
}

/** The model's versions, newest first (the newest VERSION_PAGE_SIZE). */
export function useVersions(modelId: string) {
  return useQuery({
    queryKey: modelKeys.versions(modelId),
    queryFn: () =>
      unwrap(
        api.GET("/api/models/{model_id}/versions", {
          params: { path: { model_id: modelId }, query: { limit: VERSION_PAGE_SIZE, offset: 0 } },
        }),
      ),
  });
}

/** Every move of one alias, refused ones too, newest first. */
export function useAliasHistory(modelId: string, alias: string, offset = 0) {
  return useQuery({
    queryKey: modelKeys.aliasHistory(modelId, alias, offset),
    queryFn: () =>
      unwrap(
        api.GET("/api/models/{model_id}/aliases/{alias}/history", {
          params: { path: { model_id: modelId, alias }, query: { limit: ALIAS_HISTORY_PAGE_SIZE, offset } },
        }),
      ),
    placeholderData: keepPreviousData,
  });
}

/** Where a version came from: traces, dataset, run, its evaluations and checks, the version, its aliases. */
export function useVersionLineage(version: Pick<ModelVersion, "id" | "model_id">) {
  return useQuery({
    queryKey: modelKeys.lineage(version.model_id, version.id),
    queryFn: () =>
      unwrap(api.GET("/api/models/versions/{version_id}/lineage", { params: { path: { version_id: version.id } } })),
  });
}

/** The versions promoted from a run, in any model, oldest first. */
export function useVersionsOfRun(runId: string) {
  return useQuery({
    queryKey: modelKeys.ofRun(runId),
    queryFn: () => unwrap(api.GET("/api/models/versions", { params: { query: { source_run_id: runId } } })),
  });
}

/** What was built on a dataset: its training runs (the newest 100) and the versions promoted from each. */
export function useBuiltOnDataset(datasetKey: string) {
  return useQuery({
    queryKey: modelKeys.builtOn(datasetKey),
    queryFn: () => unwrap(api.GET("/api/datasets/{dataset_key}/lineage", { params: { path: { dataset_key: datasetKey } } })),
  });
}

/** Registers a model: a name versions are promoted into. */
export function useCreateModel() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: ModelCreateBody) => unwrap(api.POST("/api/models", { body: { task_type: "reasoning", ...body } })),
    onSuccess: (model: Model) => {
      queryClient.setQueryData(modelKeys.model(model.id), model);
      void queryClient.invalidateQueries({ queryKey: modelKeys.lists() });
    },
  });
}

export type PromoteVariables = { modelId: string; body: PromoteRequest };
/** `created`: false when the same checkpoint had been promoted before (its version is answered). */
export type Promoted = { version: ModelVersion; created: boolean };

/** A new version of a model from a completed run's final checkpoint. */
export function usePromote() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async ({ modelId, body }: PromoteVariables): Promise<Promoted> => {
      const call = api.POST("/api/models/{model_id}/versions/promote", { params: { path: { model_id: modelId } }, body });
      const version = await unwrap(call);
      const { response } = await call;
      return { version, created: response.status === 201 };
    },
    onSuccess: ({ version }) => {
      void queryClient.invalidateQueries({ queryKey: modelKeys.detail(version.model_id) });
      void queryClient.invalidateQueries({ queryKey: modelKeys.lists() });
      void queryClient.invalidateQueries({ queryKey: modelKeys.ofRuns() });
      void queryClient.invalidateQueries({ queryKey: modelKeys.builtOnAll() });
    },
  });
}

/**
 * After any alias change: the model (its aliases), its versions and their lineages, the
 * histories, the list, and the views across models that name a version's aliases.
 */
function useAliasChanged(modelId: string) {
  const queryClient = useQueryClient();
  return () => {
    void queryClient.invalidateQueries({ queryKey: modelKeys.detail(modelId) });
    void queryClient.invalidateQueries({ queryKey: modelKeys.lists() });
    void queryClient.invalidateQueries({ queryKey: modelKeys.ofRuns() });
    void queryClient.invalidateQueries({ queryKey: modelKeys.builtOnAll() });
  };
}

export type MoveVariables = { alias: string; body: AliasRequest };

/**
 * Points an alias at a version. A protected alias's refused gate throws a
 * GateRefusedError with the check's report; the refusal joins the history, so that is
 * refreshed on failure too.
 */
export function useMoveAlias(modelId: string) {
  const changed = useAliasChanged(modelId);
  return useMutation({
    mutationFn: async ({ alias, body }: MoveVariables) => {
      const call = api.PUT("/api/models/{model_id}/aliases/{alias}", { params: { path: { model_id: modelId, alias } }, body });
      try {
        return await unwrap(call);
      } catch (error) {
        // unwrap keeps only {error, detail}; the refusal's body also has the check.
        throw withGateReport(error, (await call.catch(() => null))?.error);
      }
    },
    onSettled: changed,
  });
}

/** Back to the version the alias pointed at before its last move. */
export function useRollbackAlias(modelId: string, alias: string) {
  const changed = useAliasChanged(modelId);
  return useMutation({
    mutationFn: (reason: string | null) =>
      unwrap(
        api.POST("/api/models/{model_id}/aliases/{alias}/rollback", {
          params: { path: { model_id: modelId, alias } },
          body: reason ? { reason } : {},
        }),
      ),
    onSuccess: changed,
  });
}

/** Removes the alias; its history stays on the server. */
export function useDeleteAlias(modelId: string, alias: string) {
  const changed = useAliasChanged(modelId);
  return useMutation({
    mutationFn: () => unwrap(api.DELETE("/api/models/{model_id}/aliases/{alias}", { params: { path: { model_id: modelId, alias } } })),
    onSuccess: changed,
  });
}

export type VersionFile = { blob: Blob; filename: string };
export type DownloadableVersion = Pick<ModelVersion, "id" | "model_name" | "version">;

/**
 * Fetches a version's archive through the API client, so the bearer token goes with it
 * when auth is on, as a Blob for the caller to save (held in memory whole).
 */
export function useVersionDownload() {
  return useMutation({
    mutationFn: async (version: DownloadableVersion): Promise<VersionFile> => {
      const call = api.GET("/api/models/versions/{version_id}/download", {
        params: { path: { version_id: version.id } },
        parseAs: "blob",
      });
      const blob = await unwrap(call);
      const { response } = await call;
      return { blob, filename: attachmentName(response) ?? `${version.model_name}-${version.version}.tar` };
    },
  });
}
