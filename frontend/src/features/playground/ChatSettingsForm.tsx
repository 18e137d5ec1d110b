import { useId } from "react";
import type { FieldError } from "../../api/errors";
import { ErrorMessage } from "../../ui/ErrorMessage";
import { bodyPath } from "../../ui/FieldErrors";
import { controlProps, Field } from "../../ui/Field";
import { groupModels, TEMPERATURE_MAX, TEMPERATURE_MIN, type SettingsInput } from "./playground";
import { useServedModels } from "./queries";

const ERROR_TEST_ID = "playground:field-error";

function ModelPicker({ id, model, onModel }: { id: string; model: string; onModel: (model: string) => void }) {
  const models = useServedModels();
  const listed = models.data?.data ?? [];
  const groups = groupModels(listed);
  // A name from a link may not be listed (a run older than the listed ones) yet be served.
  const unlisted = model !== "" && models.data !== undefined && !listed.some((m) => m.id === model);
  const hint = "An alias or version of a registered model, a training run, a built-in model or a checkpoint; it loads on its first request.";
  return (
    <Field id={id} label="Model" hint={hint} errorTestId={ERROR_TEST_ID} wide>
      <select
        {...controlProps(id, [], true)}
        value={model}
        onChange={(event) => onModel(event.target.value)}
        disabled={models.isPending}
        data-testid="playground:model"
      >
        <option value="">{models.isPending ? "Loading the models…" : "Choose a model…"}</option>
        {unlisted && (
          <optgroup label="From the link">
            <option value={model}>{model}</option>
          </optgroup>
        )}
        {groups.map((group) => (
          <optgroup key={group.source} label={group.label}>
            {group.models.map((m) => (
              <option key={m.id} value={m.id}>
                {m.id}
              </option>
            ))}
          </optgroup>
        ))}
      </select>
      {models.isError && <ErrorMessage error={models.error} title="Could not list the models" />}
    </Field>
  );
}

type Props = {
  model: string;
  onModel: (model: string) => void;
  input: SettingsInput;
  onInput: (input: SettingsInput) => void;
  errors: FieldError[];
};

/** The model to chat with and how it samples: temperature, max tokens, a system prompt. */
export function ChatSettingsForm({ model, onModel, input, onInput, errors }: Props) {
  const id = useId();
  const at = (path: string) => errors.filter((item) => bodyPath(item) === path);
  const temperatureErrors = at("temperature");
  const maxTokensErrors = at("max_tokens");
  return (
    <section className="card playground-settings" aria-labelledby={`${id}-title`} data-testid="playground:settings">
      <h2 id={`${id}-title`}>Model and settings</h2>
      <div className="form-grid compact">
        <ModelPicker id={`${id}-model`} model={model} onModel={onModel} />
        <Field id={`${id}-temperature`} label="Temperature" hint="0: greedy, the likeliest token" errors={temperatureErrors} errorTestId={ERROR_TEST_ID}>
          <input
            {...controlProps(`${id}-temperature`, temperatureErrors, true)}
            type="number"
            inputMode="decimal"
            min={TEMPERATURE_MIN}
            max={TEMPERATURE_MAX}
            step={0.1}
            value={input.temperature}
            onChange={(event) => onInput({ ...input, temperature: event.target.value })}
            data-testid="playground:temperature"
          />
        </Field>
        <Field id={`${id}-max-tokens`} label="Max tokens" hint="Blank: as many as fit" errors={maxTokensErrors} errorTestId={ERROR_TEST_ID}>
          <input
            {...controlProps(`${id}-max-tokens`, maxTokensErrors, true)}
            type="number"
            inputMode="numeric"
            min={1}
            step={1}
            placeholder="server default"
            value={input.maxTokens}
            onChange={(event) => onInput({ ...input, maxTokens: event.target.value })}
            data-testid="playground:max-tokens"
          />
        </Field>
        <Field id={`${id}-system`} label="System prompt" hint="Optional: sent first, with every message" errorTestId={ERROR_TEST_ID} wide>
          <textarea
            {...controlProps(`${id}-system`, [], true)}
            rows={3}
            value={input.system}
            onChange={(event) => onInput({ ...input, system: event.target.value })}
            data-testid="playground:system"
          />
        </Field>
      </div>
    </section>
  );
}
