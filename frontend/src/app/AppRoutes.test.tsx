import { screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { json, mockFetch } from "../test/fetchMock";
import { renderApp } from "../test/render";
import { page } from "../test/traces";

describe("routes", () => {
  it("redirects / to the traces page", async () => {
    mockFetch({ "GET /api/traces": () => json(200, page([], 0, null)) });
    renderApp("/");
    expect(await screen.findByTestId("trace:json-input")).toBeInTheDocument();
  });

  it("shows a not-found page for unknown paths", async () => {
    mockFetch({});
    renderApp("/nowhere");
    expect(await screen.findByTestId("sys:not-found")).toHaveTextContent("Page not found");
  });
});
