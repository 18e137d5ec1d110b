import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { ApiError } from "../api/errors";
import { ErrorMessage } from "./ErrorMessage";

describe("ErrorMessage", () => {
  it("shows an API error's name, status and detail", () => {
    render(<ErrorMessage error={new ApiError(409, "Conflict", "Already running")} title="Failed" />);
    expect(screen.getByRole("alert")).toHaveTextContent("Failed: Conflict (HTTP 409) — Already running");
  });

  it("lists field errors", () => {
    render(<ErrorMessage error={new ApiError(422, "ValidationError", [{ loc: ["query", "limit"], msg: "too big", type: "x" }])} />);
    expect(screen.getByRole("listitem")).toHaveTextContent("query → limit: too big");
  });

  it("shows any other error's message", () => {
    render(<ErrorMessage error={new Error("Something broke")} title="Oops" />);
    expect(screen.getByRole("alert")).toHaveTextContent("Oops: Something broke");
  });
});
