import "@testing-library/jest-dom/vitest";
import { cleanup } from "@testing-library/react";
import { afterEach } from "vitest";
import { resetTokenPromptForTests } from "../features/auth/promptStore";

afterEach(() => {
  cleanup();
  window.localStorage.clear();
  resetTokenPromptForTests();
});
