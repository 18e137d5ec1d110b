import type { ReactNode } from "react";
import { Link } from "react-router";
import { playgroundPath } from "./playground";

type Props = { model: string; testId: string; className?: string; children: ReactNode };

/** A link to the Playground with `model` chosen: the served name of an alias, a version or a run. */
export function TryItLink({ model, testId, className = "try-it-link", children }: Props) {
  return (
    <Link to={playgroundPath(model)} className={className} data-testid={testId} data-model={model} title={`Chat with ${model} in the Playground`}>
      {children}
    </Link>
  );
}
