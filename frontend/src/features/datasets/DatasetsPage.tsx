import { BuildForm } from "./BuildForm";
import { DatasetList } from "./DatasetList";
import { GeneratePanel } from "./GeneratePanel";

/** Generate traces, build a dataset from them, and the datasets built so far. */
export function DatasetsPage() {
  return (
    <div className="stack">
      <div className="detail-grid datasets-top">
        <BuildForm />
        <GeneratePanel />
      </div>
      <DatasetList />
    </div>
  );
}
