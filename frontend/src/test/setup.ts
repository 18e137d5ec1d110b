import "@testing-library/jest-dom/vitest";
import { cleanup } from "@testing-library/react";
import { afterEach, vi } from "vitest";
import { resetTokenPromptForTests } from "../features/auth/promptStore";
import { FakeUPlot } from "./uplot";

vi.mock("uplot", () => ({ default: FakeUPlot }));

afterEach(() => {
  cleanup();
  window.localStorage.clear();
  resetTokenPromptForTests();
  FakeUPlot.instances = [];
});
