import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../../api/client";
import { traceKeys } from "../traces/queries";
import { attachmentName } from "../../ui/saveBlob";

export const DATASET_PAGE_SIZE = 20;
export const MEMBER_PAGE_SIZE = 50;

export type DatasetSummary = Schemas["DatasetSummary"];
export type DatasetManifest = Schemas["DatasetManifest"];
export type DatasetSelection = Schemas["DatasetSelection"];
export type DatasetFilters = Schemas["DatasetFilters"];
export type DatasetBuildRequest = Schemas["DatasetBuildRequest"];
export type DatasetMember = Schemas["DatasetMember"];
export type GeneratorInfo = Schemas["GeneratorInfo"];
export type GenerateResult = Schemas["GenerateResult"];

export const EXPORT_FORMATS = ["trace", "tunix_sft", "training_example"] as const;
export const EXPORT_SPLITS = ["all", "train", "eval"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
export type ExportSplit = (typeof EXPORT_SPLITS)[number];

/** Query keys of the datasets domain; invalidate `datasetKeys.lists()` after a build or delete. */
export const datasetKeys = {
  all: ["datasets"] as const,
  lists: () => [...datasetKeys.all, "list"] as const,
  list: (offset: number, limit: number = DATASET_PAGE_SIZE) => [...datasetKeys.lists(), { offset, limit }] as const,
  // Previews count traces: new traces (a generator run) make every cached count stale.
  previews: () => [...datasetKeys.all, "preview"] as const,
  preview: (selection: DatasetSelection) => [...datasetKeys.previews(), selection] as const,
  detail: (key: string) => [...datasetKeys.all, "detail", key] as const,
  members: (key: string) => [...datasetKeys.all, "members", key] as const,
  memberPage: (key: string, split: ExportSplit, offset: number) =>
    [...datasetKeys.members(key), { split, offset }] as const,
};

/** Query keys of the trace generators (and UNGAR's status). */
export const generatorKeys = {
  all: ["generators"] as const,
  list: () => [...generatorKeys.all, "list"] as const,
  ungarStatus: () => [...generatorKeys.all, "ungar-status"] as const,
};

export function useDatasetList(offset: number, limit: number = DATASET_PAGE_SIZE) {
  return useQuery({
    queryKey: datasetKeys.list(offset, limit),
    queryFn: () => unwrap(api.GET("/api/datasets", { params: { query: { limit, offset } } })),
    placeholderData: keepPreviousData,
  });
}

/** "N traces match, M would be taken" for a selection (a read, even though it is a POST). */
export function useDatasetPreview(selection: DatasetSelection) {
  return useQuery({
    queryKey: datasetKeys.preview(selection),
    queryFn: () => unwrap(api.POST("/api/datasets/preview", { body: selection })),
    placeholderData: keepPreviousData,
  });
}

export function useDataset(key: string) {
  return useQuery({
    queryKey: datasetKeys.detail(key),
    queryFn: () => unwrap(api.GET("/api/datasets/{dataset_key}", { params: { path: { dataset_key: key } } })),
  });
}

/** A page of the dataset's member traces, in dataset order. */
export function useDatasetMembers(key: string, split: ExportSplit, offset: number) {
  return useQuery({
    queryKey: datasetKeys.memberPage(key, split, offset),
    queryFn: () =>
      unwrap(
        api.GET("/api/datasets/{dataset_key}/traces", {
          params: { path: { dataset_key: key }, query: { split, limit: MEMBER_PAGE_SIZE, offset } },
        }),
      ),
    placeholderData: keepPreviousData,
  });
}

export function useBuildDataset() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (request: DatasetBuildRequest) => unwrap(api.POST("/api/datasets/build", { body: request })),
    onSuccess: (manifest) => {
      // The build answers with the manifest, so the detail page opens without a fetch.
      queryClient.setQueryData(datasetKeys.detail(manifest.dataset_key), manifest);
      void queryClient.invalidateQueries({ queryKey: datasetKeys.lists() });
    },
  });
}

export function useDeleteDataset(key: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () =>
      unwrap(api.DELETE("/api/datasets/{dataset_key}", { params: { path: { dataset_key: key } } })),
    onSuccess: () => {
      queryClient.removeQueries({ queryKey: datasetKeys.detail(key), exact: true });
      // The key is taken again if the same name is rebuilt next: forget its members.
      queryClient.removeQueries({ queryKey: datasetKeys.members(key) });
      void queryClient.invalidateQueries({ queryKey: datasetKeys.lists() });
    },
  });
}

export type ExportFile = { blob: Blob; filename: string };

/**
 * Fetches an export through the API client (a plain link cannot carry the bearer
 * token), as a Blob for the caller to save. The whole file is held in memory.
 */
export function useExportDownload(key: string) {
  return useMutation({
    mutationFn: async ({ format, split }: { format: ExportFormat; split: ExportSplit }): Promise<ExportFile> => {
      const call = api.GET("/api/datasets/{dataset_key}/export.jsonl", {
        params: { path: { dataset_key: key }, query: { format, split } },
        parseAs: "blob",
      });
      const blob = await unwrap(call);
      const { response } = await call;
      return { blob, filename: attachmentName(response) ?? `${key}.${format}.${split}.jsonl` };
    },
  });
}

export function useGenerators() {
  return useQuery({
    queryKey: generatorKeys.list(),
    queryFn: () => unwrap(api.GET("/api/generators")),
    staleTime: Infinity,
  });
}

export function useUngarStatus() {
  return useQuery({
    queryKey: generatorKeys.ungarStatus(),
    queryFn: () => unwrap(api.GET("/api/ungar/status")),
    staleTime: Infinity,
  });
}

/** `seed` left out: the server draws a fresh one (and reports it). */
export type GenerateInput = { name: string; count: number; seed?: number; params: Record<string, unknown> };

export function useGenerateTraces() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ name, ...body }: GenerateInput) =>
      unwrap(
        api.POST("/api/generators/{name}/generate", {
          params: { path: { name } },
          body: { ...body, persist: true },
        }),
      ),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: traceKeys.lists() });
      void queryClient.invalidateQueries({ queryKey: datasetKeys.previews() });
    },
  });
}
