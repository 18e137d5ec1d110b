import { screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { json, mockFetch } from "../test/fetchMock";
import { renderApp } from "../test/render";
import { page } from "../test/traces";

describe("layout", () => {
  it("offers a skip link as the first stop of Tab, which moves focus to the page", async () => {
    mockFetch({ "GET /api/traces": () => json(200, page([], 0, null)) });
    const { user } = renderApp("/traces");

    await user.tab();
    const skip = screen.getByTestId("sys:skip-link");
    expect(skip).toHaveFocus();
    expect(skip).toHaveTextContent("Skip to content");
    expect(skip).toHaveAttribute("href", "#main");
    const main = screen.getByRole("main");
    expect(main).toHaveAttribute("id", "main");
    expect(main).toHaveAttribute("tabindex", "-1"); // focusable by the link, not by Tab
  });
});
