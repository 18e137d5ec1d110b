import { useCallback, useId, useState, type FormEvent } from "react";
import { ErrorMessage } from "../../ui/ErrorMessage";
import { controlProps, Field } from "../../ui/Field";
import { FormErrorSummary, placeFieldErrors } from "../../ui/FieldErrors";
import { useRetryAfterToken } from "../auth/hooks";
import { readIntegerParams, type IntegerParam } from "./generatorParams";
import { GenerateResultView } from "./GenerateResultView";
import { useGenerateTraces, useGenerators, type GenerateInput } from "./queries";
import { UngarStatusLine } from "./UngarStatusLine";

const ERROR_TEST_ID = "gen:field-error";
const DEFAULT_COUNT = 10;

function paramValue(param: IntegerParam, typed: Record<string, string>): string {
  return typed[param.name] ?? (param.default === null ? "" : String(param.default));
}

/** Generate traces with checkable answers (High Card Duel, arithmetic) and store them. */
export function GeneratePanel() {
  const generators = useGenerators();
  const generate = useGenerateTraces();
  const [chosen, setChosen] = useState("");
  const [count, setCount] = useState(String(DEFAULT_COUNT));
  // Blank: the server draws a fresh seed and reports it; a fixed one repeats a generation.
  const [seed, setSeed] = useState("");
  const [typedParams, setTypedParams] = useState<Record<string, string>>({});
  const id = useId();

  const { mutate, variables } = generate;
  const retry = useCallback(() => {
    if (variables) mutate(variables);
  }, [mutate, variables]);
  useRetryAfterToken(generate.error, retry);

  const available = generators.data ?? [];
  const generator = available.find((g) => g.name === chosen) ?? available[0];
  const params = generator ? readIntegerParams(generator.params_schema) : [];
  const placed = placeFieldErrors(generate.error, ["count", "seed", ...params.map((p) => `params.${p.name}`)]);

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!generator) return;
    const input: GenerateInput = {
      name: generator.name,
      count: Number(count || DEFAULT_COUNT),
      ...(seed.trim() ? { seed: Number(seed) } : {}),
      params: Object.fromEntries(
        params.flatMap((param) => {
          const value = paramValue(param, typedParams);
          return value ? [[param.name, Number(value)]] : [];
        }),
      ),
    };
    generate.mutate(input);
  }

  return (
    <section className="card generate" aria-labelledby={`${id}-title`} data-testid="gen:panel">
      <h2 id={`${id}-title`}>Generate traces</h2>
      <p className="muted small">Traces whose answers can be checked, stored like uploaded ones.</p>
      {generators.isError && <ErrorMessage error={generators.error} title="Could not load generators" />}
      <form onSubmit={submit}>
        <Field id={`${id}-generator`} label="Generator" hint={generator?.description} errorTestId={ERROR_TEST_ID}>
          <select
            {...controlProps(`${id}-generator`, [], Boolean(generator))}
            value={generator?.name ?? ""}
            onChange={(event) => setChosen(event.target.value)}
            disabled={!generator}
            data-testid="gen:generator"
          >
            {available.map((g) => (
              <option key={g.name} value={g.name}>
                {g.name}
              </option>
            ))}
          </select>
        </Field>
        <div className="form-grid compact">
          <Field id={`${id}-count`} label="Count" errors={placed.at("count")} errorTestId={ERROR_TEST_ID}>
            <input
              type="number"
              min={1}
              step={1}
              required
              {...controlProps(`${id}-count`, placed.at("count"))}
              value={count}
              onChange={(event) => setCount(event.target.value)}
              data-testid="gen:count"
            />
          </Field>
          <Field
            id={`${id}-seed`}
            label="Seed"
            hint="Blank: a fresh one, shown with the result. The same seed makes the same traces again."
            errors={placed.at("seed")}
            errorTestId={ERROR_TEST_ID}
          >
            <input
              type="number"
              min={0}
              step={1}
              placeholder="random"
              {...controlProps(`${id}-seed`, placed.at("seed"), true)}
              value={seed}
              onChange={(event) => setSeed(event.target.value)}
              data-testid="gen:seed"
            />
          </Field>
          {params.map((param) => {
            const errors = placed.at(`params.${param.name}`);
            const paramId = `${id}-param-${param.name}`;
            return (
              <Field
                key={param.name}
                id={paramId}
                label={param.title}
                hint={param.description}
                errors={errors}
                errorTestId={ERROR_TEST_ID}
                wide
              >
                <input
                  type="number"
                  step={1}
                  min={param.minimum ?? undefined}
                  max={param.maximum ?? undefined}
                  {...controlProps(paramId, errors, Boolean(param.description))}
                  value={paramValue(param, typedParams)}
                  onChange={(event) => setTypedParams((current) => ({ ...current, [param.name]: event.target.value }))}
                  data-testid={`gen:param-${param.name}`}
                />
              </Field>
            );
          })}
        </div>
        <div className="actions">
          <button type="submit" className="primary" disabled={!generator || generate.isPending} data-testid="gen:submit">
            {generate.isPending ? "Generating…" : "Generate"}
          </button>
        </div>
      </form>
      <FormErrorSummary error={generate.error} placed={placed} title="Not generated" testId={ERROR_TEST_ID} />
      {generate.data && <GenerateResultView result={generate.data} />}
      <UngarStatusLine />
    </section>
  );
}
