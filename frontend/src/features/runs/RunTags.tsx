import { Link } from "react-router";
import { tagPath, type RunMode } from "./history";

/** A row's tags; a click filters the history by one (a second click on it, the active one, lifts the filter). */
export function TagFilterChips({
  tags,
  active,
  onPick,
}: {
  tags: readonly string[];
  active: string | null;
  onPick: (tag: string | null) => void;
}) {
  return (
    <ul className="tag-chips" aria-label="Tags">
      {tags.map((tag) => {
        const on = tag === active;
        return (
          <li key={tag}>
            <button
              type="button"
              className={on ? "tag-chip active" : "tag-chip"}
              aria-pressed={on}
              title={on ? "Show runs with any tag" : `Show only runs tagged ${tag}`}
              onClick={() => onPick(on ? null : tag)}
              data-testid="run:tag-chip"
              data-tag={tag}
            >
              {tag}
            </button>
          </li>
        );
      })}
    </ul>
  );
}

/** A run's tags, each a link to the history filtered by it (among runs of the same kind). */
export function TagLinkChips({ tags, mode }: { tags: readonly string[]; mode: RunMode }) {
  return (
    <ul className="tag-chips" aria-label="Tags" data-testid="run:tags">
      {tags.map((tag) => (
        <li key={tag}>
          <Link to={tagPath(tag, mode)} className="tag-chip" title={`Runs tagged ${tag}`} data-testid="run:tag-link" data-tag={tag}>
            {tag}
          </Link>
        </li>
      ))}
    </ul>
  );
}
