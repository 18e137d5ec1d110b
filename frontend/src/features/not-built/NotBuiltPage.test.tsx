import { screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { json, mockFetch } from "../../test/fetchMock";
import { renderApp } from "../../test/render";
import { page } from "../../test/traces";
import { NOT_BUILT_AREAS, type NotBuiltArea } from "./areas";

const areas = Object.keys(NOT_BUILT_AREAS) as NotBuiltArea[];

describe("areas not built yet", () => {
  it.each(areas)("/%s says plainly that it is not available yet", async (area) => {
    const { pathsCalled } = mockFetch({});
    renderApp(`/${area}`);

    const section = await screen.findByTestId("sys:not-built");
    expect(section).toHaveTextContent(NOT_BUILT_AREAS[area].message);
    expect(section).toHaveTextContent(/not built yet/);
    // No fake data: nothing but the health checks is fetched.
    expect(pathsCalled().every((p) => p.endsWith("/health"))).toBe(true);
  });

  it("is reached from the main navigation", async () => {
    mockFetch({ "GET /api/traces": () => json(200, page([], 0, null)) });
    const { user } = renderApp("/traces");

    await user.click(screen.getByTestId("sys:nav-tuning"));
    expect(await screen.findByText(NOT_BUILT_AREAS.tuning.message)).toBeInTheDocument();
    expect(screen.getByTestId("sys:nav-tuning")).toHaveAttribute("aria-current", "page");

    await user.click(screen.getByTestId("sys:nav-traces"));
    expect(await screen.findByTestId("trace:json-input")).toBeInTheDocument();
  });

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
