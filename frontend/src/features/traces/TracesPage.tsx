import { TraceImport } from "./TraceImport";
import { TraceList } from "./TraceList";
import { UploadForm } from "./UploadForm";

export function TracesPage() {
  return (
    <div className="stack">
      <div className="trace-add-grid">
        <UploadForm />
        <TraceImport />
      </div>
      <TraceList />
    </div>
  );
}
