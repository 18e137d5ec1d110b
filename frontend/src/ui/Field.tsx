import type { ReactNode } from "react";
import type { FieldError } from "../api/errors";
import { FieldMessages } from "./FieldErrors";

type FieldProps = {
  id: string;
  label: string;
  hint?: ReactNode;
  errors?: FieldError[];
  errorTestId: string;
  wide?: boolean;
  children: ReactNode;
};

/** A labelled input with its hint and the server's messages for it. */
export function Field({ id, label, hint, errors = [], errorTestId, wide = false, children }: FieldProps) {
  return (
    <div className={wide ? "field wide" : "field"}>
      <label htmlFor={id}>{label}</label>
      {children}
      {hint && (
        <p id={`${id}-hint`} className="hint">
          {hint}
        </p>
      )}
      <FieldMessages id={`${id}-errors`} errors={errors} testId={errorTestId} />
    </div>
  );
}

/** `id`, `aria-invalid` and `aria-describedby` of the input inside a `Field`. */
export function controlProps(id: string, errors: FieldError[] = [], hasHint = false) {
  const describedBy = [hasHint ? `${id}-hint` : "", errors.length > 0 ? `${id}-errors` : ""].filter(Boolean).join(" ");
  return {
    id,
    "aria-invalid": errors.length > 0 ? true : undefined,
    "aria-describedby": describedBy || undefined,
  } as const;
}
