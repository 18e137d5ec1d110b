import { useId, useState, type FormEvent } from "react";
import { controlProps, Field } from "../../ui/Field";
import { FormErrorSummary } from "../../ui/FieldErrors";
import { LABEL_PATHS, labelValues, parseTags, placeRunErrors, TAG_HINT, toLabelsUpdate, type LabelValues } from "./labels";
import { useUpdateRunLabels, type RunDetail } from "./queries";
import { TagLinkChips } from "./RunTags";

const ERROR_TEST_ID = "run:labels-error";

/** Name, notes and tags, sent as a PATCH; a refused field's message under it. */
function LabelsForm({ run, onDone }: { run: RunDetail; onDone: () => void }) {
  const [values, setValues] = useState<LabelValues>(() => labelValues(run));
  const update = useUpdateRunLabels(run.run_id);
  const id = useId();
  const sentTags = update.variables?.tags ?? [];
  const placed = placeRunErrors(update.error, LABEL_PATHS, sentTags);

  function submit(event: FormEvent) {
    event.preventDefault();
    if (update.isPending) return;
    update.mutate(toLabelsUpdate(values), { onSuccess: onDone });
  }

  function field(name: keyof LabelValues) {
    return {
      ...controlProps(`${id}-${name}`, placed.at(name), name === "tags"),
      value: values[name],
      onChange: (event: { target: { value: string } }) => setValues((current) => ({ ...current, [name]: event.target.value })),
      "data-testid": `run:labels-${name}`,
    };
  }

  const tagCount = parseTags(values.tags).length;
  return (
    <form className="run-labels-form" onSubmit={submit} noValidate aria-label="Edit labels" data-testid="run:labels-form">
      <div className="form-grid">
        <Field id={`${id}-name`} label="Name" errors={placed.at("name")} errorTestId={ERROR_TEST_ID} wide>
          <input
            type="text"
            className="run-name-input"
            autoComplete="off"
            maxLength={200}
            placeholder="e.g. lr 5e-3, 300 steps"
            {...field("name")}
          />
        </Field>
        <Field
          id={`${id}-tags`}
          label="Tags"
          hint={`${TAG_HINT}${tagCount > 0 ? ` (${tagCount} of at most 20)` : ""}.`}
          errors={placed.at("tags")}
          errorTestId={ERROR_TEST_ID}
          wide
        >
          <input type="text" autoComplete="off" spellCheck={false} placeholder="baseline, lr-sweep" {...field("tags")} />
        </Field>
        <Field id={`${id}-notes`} label="Notes" errors={placed.at("notes")} errorTestId={ERROR_TEST_ID} wide>
          <textarea rows={4} {...field("notes")} />
        </Field>
      </div>
      <div className="actions">
        <button type="submit" className="primary" disabled={update.isPending} data-testid="run:labels-save">
          {update.isPending ? "Saving…" : "Save labels"}
        </button>
        <button type="button" onClick={onDone} disabled={update.isPending} data-testid="run:labels-cancel">
          Cancel
        </button>
        <span className="muted small">Labels are for people: they never change the run or its results.</span>
      </div>
      <FormErrorSummary error={update.error} placed={placed} title="Labels not saved" testId={ERROR_TEST_ID} />
    </form>
  );
}

/** The run's notes and tags (its name is the page's title), and the form that edits all three. */
export function RunLabels({ run }: { run: RunDetail }) {
  const [editing, setEditing] = useState(false);
  if (editing) return <LabelsForm run={run} onDone={() => setEditing(false)} />;
  const none = run.name === null && run.notes === null && run.tags.length === 0;
  return (
    <div className="run-labels" data-testid="run:labels">
      {run.tags.length > 0 && <TagLinkChips tags={run.tags} mode={run.mode} />}
      {run.notes !== null && (
        <p className="run-notes" data-testid="run:notes">
          {run.notes}
        </p>
      )}
      <p className="run-labels-actions">
        {none && <span className="muted small">No name, notes or tags yet. </span>}
        <button type="button" className="link-button" onClick={() => setEditing(true)} data-testid="run:labels-edit">
          Edit labels
        </button>
      </p>
    </div>
  );
}
