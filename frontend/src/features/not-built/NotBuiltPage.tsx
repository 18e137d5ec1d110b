import { NOT_BUILT_AREAS, type NotBuiltArea } from "./areas";

export function NotBuiltPage({ area }: { area: NotBuiltArea }) {
  const { title, message } = NOT_BUILT_AREAS[area];
  return (
    <section className="card not-built" data-testid="sys:not-built">
      <h1>{title}</h1>
      <p>{message}</p>
      <p className="muted small">Nothing here is simulated: this page will show real data once the area exists.</p>
    </section>
  );
}
