import { Link, Navigate, Route, Routes } from "react-router";
import { DatasetDetailPage } from "../features/datasets/DatasetDetailPage";
import { DatasetsPage } from "../features/datasets/DatasetsPage";
import { EvaluationPage } from "../features/evaluation/EvaluationPage";
import { LeaderboardPage } from "../features/evaluation/LeaderboardPage";
import { ModelPage } from "../features/models/ModelPage";
import { ModelsPage } from "../features/models/ModelsPage";
import { PlaygroundPage } from "../features/playground/PlaygroundPage";
import { RegressionPage } from "../features/regression/RegressionPage";
import { RunComparePage } from "../features/runs/RunComparePage";
import { RunDetailPage } from "../features/runs/RunDetailPage";
import { RunsPage } from "../features/runs/RunsPage";
import { ComparePage } from "../features/traces/ComparePage";
import { TraceDetailPage } from "../features/traces/TraceDetailPage";
import { TracesPage } from "../features/traces/TracesPage";
import { TuningJobPage } from "../features/tuning/TuningJobPage";
import { TuningPage } from "../features/tuning/TuningPage";
import { Layout } from "./Layout";

function NotFoundPage() {
  return (
    <section className="card" data-testid="sys:not-found">
      <h1>Page not found</h1>
      <p>
        <Link to="/traces">Go to traces</Link>
      </p>
    </section>
  );
}

export function AppRoutes() {
  return (
    <Routes>
      <Route element={<Layout />}>
        <Route index element={<Navigate to="/traces" replace />} />
        <Route path="traces" element={<TracesPage />} />
        <Route path="traces/compare" element={<ComparePage />} />
        <Route path="traces/:id" element={<TraceDetailPage />} />
        <Route path="datasets" element={<DatasetsPage />} />
        <Route path="datasets/:key" element={<DatasetDetailPage />} />
        <Route path="runs" element={<RunsPage />} />
        <Route path="runs/compare" element={<RunComparePage />} />
        <Route path="runs/:runId" element={<RunDetailPage />} />
        <Route path="leaderboard" element={<LeaderboardPage />} />
        <Route path="evaluations/:evaluationId" element={<EvaluationPage />} />
        <Route path="regression" element={<RegressionPage />} />
        <Route path="tuning" element={<TuningPage />} />
        <Route path="tuning/:jobId" element={<TuningJobPage />} />
        <Route path="models" element={<ModelsPage />} />
        <Route path="models/:modelId" element={<ModelPage />} />
        <Route path="playground" element={<PlaygroundPage />} />
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
}
