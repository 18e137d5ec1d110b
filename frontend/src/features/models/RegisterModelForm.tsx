import { useCallback, useId, useState, type FormEvent } from "react";
import { Link } from "react-router";
import { controlProps, Field } from "../../ui/Field";
import { FormErrorSummary, placeFieldErrors } from "../../ui/FieldErrors";
import { useRetryAfterToken } from "../auth/hooks";
import { modelPath, REGISTER_FIELD_PATHS, type ModelCreateBody } from "./models";
import { useCreateModel } from "./queries";

const ERROR_TEST_ID = "models:register-field-error";

/** Registers a model by name; its versions are promoted from completed runs' pages. */
export function RegisterModelForm() {
  const id = useId();
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const create = useCreateModel();

  const { mutate, variables } = create;
  const retry = useCallback(() => {
    if (variables) mutate(variables);
  }, [mutate, variables]);
  useRetryAfterToken(create.error, retry);

  function submit(event: FormEvent) {
    event.preventDefault();
    const body: ModelCreateBody = { name: name.trim() };
    if (description.trim()) body.description = description.trim();
    create.mutate(body, {
      onSuccess: () => {
        setName("");
        setDescription("");
      },
    });
  }

  const placed = placeFieldErrors(create.error, REGISTER_FIELD_PATHS);
  const created = create.data;
  return (
    <form className="card register-model" onSubmit={submit} noValidate aria-labelledby={`${id}-title`} data-testid="models:register-form">
      <h2 id={`${id}-title`}>Register a model</h2>
      <p className="muted small">A name to promote versions into. Promote a completed run from its page.</p>
      <div className="form-grid register-grid">
        <Field id={`${id}-name`} label="Name" hint="Letters, digits, . _ -" errors={placed.at("name")} errorTestId={ERROR_TEST_ID}>
          <input
            type="text"
            required
            autoComplete="off"
            spellCheck={false}
            placeholder="duel-reasoner"
            {...controlProps(`${id}-name`, placed.at("name"), true)}
            value={name}
            onChange={(event) => setName(event.target.value)}
            data-testid="models:register-name"
          />
        </Field>
        <Field id={`${id}-description`} label="Description (optional)" errors={placed.at("description")} errorTestId={ERROR_TEST_ID}>
          <input
            type="text"
            autoComplete="off"
            {...controlProps(`${id}-description`, placed.at("description"))}
            value={description}
            onChange={(event) => setDescription(event.target.value)}
            data-testid="models:register-description"
          />
        </Field>
      </div>
      <div className="form-footer">
        <span />
        <button type="submit" className="primary" disabled={create.isPending || !name.trim()} data-testid="models:register-submit">
          {create.isPending ? "Registering…" : "Register"}
        </button>
      </div>
      <FormErrorSummary error={create.error} placed={placed} title="Not registered" testId={ERROR_TEST_ID} />
      {created && !create.isError && (
        <p className="success" role="status" data-testid="models:registered">
          Registered{" "}
          <Link to={modelPath(created.id)} className="mono">
            {created.name}
          </Link>
          : promote a completed run into it from the run's page.
        </p>
      )}
    </form>
  );
}
