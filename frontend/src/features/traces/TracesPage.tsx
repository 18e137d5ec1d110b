import { TraceList } from "./TraceList";
import { UploadForm } from "./UploadForm";

export function TracesPage() {
  return (
    <div className="stack">
      <UploadForm />
      <TraceList />
    </div>
  );
}
