import type { DatasetManifest } from "./queries";

/** The tunix_sft chat template (name, hash) and the first trace rendered with it. */
export function TemplateCard({ template }: { template: DatasetManifest["template"] }) {
  const { sample } = template;
  return (
    <section className="card" aria-labelledby="dataset-template-title" data-testid="dataset:template">
      <h2 id="dataset-template-title">tunix_sft template</h2>
      <dl className="facts">
        <dt>Name</dt>
        <dd className="mono" data-testid="dataset:template-name">
          {template.name}
        </dd>
        <dt>sha256</dt>
        <dd className="mono hash" data-testid="dataset:template-sha256">
          {template.sha256}
        </dd>
      </dl>
      {sample ? (
        <>
          <h3>Sample prompt</h3>
          <pre className="code wrap" data-testid="dataset:sample-prompt">
            {sample.prompt}
          </pre>
          <h3>Sample completion</h3>
          <pre className="code wrap" data-testid="dataset:sample-completion">
            {sample.completion}
          </pre>
        </>
      ) : (
        <p className="muted">No sample: the dataset has no traces left to render.</p>
      )}
    </section>
  );
}
