import { bucketLabel, formatShare, type LengthBucket } from "./evaluation";

/**
 * Accuracy of the scored items by how long the model reasoned (the server's buckets, split
 * at the quartiles of reasoning tokens): one horizontal bar a bucket, its number written out.
 */
export function ReasoningLengthChart({ buckets }: { buckets: LengthBucket[] }) {
  if (buckets.length === 0) return null;
  return (
    <figure className="length-chart" data-testid="eval:length-chart">
      <figcaption>
        <h3>Accuracy by reasoning length</h3>
      </figcaption>
      <ul>
        {buckets.map((bucket) => (
          <li key={bucket.minTokens} data-testid="eval:length-bucket" data-accuracy={bucket.accuracy}>
            <span className="length-label">{bucketLabel(bucket)}</span>
            <span className="length-track" aria-hidden="true">
              <span className="length-fill" style={{ width: `${Math.min(100, Math.max(0, bucket.accuracy * 100))}%` }} />
            </span>
            <span className="length-value">
              {formatShare(bucket.accuracy)} <span className="muted">of {bucket.n}</span>
            </span>
          </li>
        ))}
      </ul>
    </figure>
  );
}
