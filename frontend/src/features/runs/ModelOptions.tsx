import { localModelLabel, type LocalModel } from "./localModels";

type ModelOptionsProps = {
  /** The status has not answered yet: a lone "Loading models…" option. */
  loading: boolean;
  builtinIds: string[];
  localModels: LocalModel[];
  /** With no local model listed, the built-in models go without their optgroup. */
  ungroupedWhenAlone?: boolean;
};

/** A model picker's options: the built-in (random init) models, then the checkpoints under MODEL_DIR. */
export function ModelOptions({ loading, builtinIds, localModels, ungroupedWhenAlone = false }: ModelOptionsProps) {
  const builtinOptions = builtinIds.map((model) => (
    <option key={model} value={model}>
      {model}
    </option>
  ));
  return (
    <>
      {loading && <option value="">Loading models…</option>}
      {ungroupedWhenAlone && localModels.length === 0 ? (
        builtinOptions
      ) : (
        <>
          {builtinIds.length > 0 && <optgroup label="Built in (random init)">{builtinOptions}</optgroup>}
          {localModels.length > 0 && (
            <optgroup label="Local checkpoints (MODEL_DIR)">
              {localModels.map((model) => (
                <option key={model.model_id} value={model.model_id}>
                  {localModelLabel(model)}
                </option>
              ))}
            </optgroup>
          )}
        </>
      )}
    </>
  );
}
