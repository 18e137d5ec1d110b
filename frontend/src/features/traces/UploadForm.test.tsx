import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { apiError, json, mockFetch } from "../../test/fetchMock";
import { renderApp } from "../../test/render";
import { page, traceId } from "../../test/traces";
import { EXAMPLE_TRACE } from "./example";

function listRoute(ids: number[]) {
  return () => json(200, page(ids, 0, null));
}

describe("upload form", () => {
  it("loads the README example into the textarea", async () => {
    mockFetch({ "GET /api/traces": listRoute([]) });
    const { user } = renderApp("/traces");

    await user.click(screen.getByTestId("trace:load-example"));

    const input = screen.getByTestId<HTMLTextAreaElement>("trace:json-input");
    expect(JSON.parse(input.value)).toEqual(EXAMPLE_TRACE);
    expect(screen.getByLabelText("Trace JSON")).toBe(input);
  });

  it("reports invalid JSON locally without calling the server", async () => {
    const { pathsCalled } = mockFetch({ "GET /api/traces": listRoute([]) });
    const { user } = renderApp("/traces");

    await user.type(screen.getByTestId("trace:json-input"), "{{not json");
    await user.click(screen.getByTestId("trace:submit"));

    expect(await screen.findByTestId("trace:json-error")).toHaveTextContent("Invalid JSON");
    expect(pathsCalled().some((p) => p.startsWith("POST"))).toBe(false);
  });

  it("shows each 422 field error next to its field path", async () => {
    mockFetch({
      "GET /api/traces": listRoute([]),
      "POST /api/traces": () =>
        apiError(422, "ValidationError", [
          { loc: ["body", "steps", 0, "i"], msg: "Input should be greater than or equal to 0", type: "greater_than_equal" },
          { loc: ["body", "prompt"], msg: "Field required", type: "missing" },
        ]),
    });
    const { user } = renderApp("/traces");

    await user.click(screen.getByTestId("trace:load-example"));
    await user.click(screen.getByTestId("trace:submit"));

    const errors = await screen.findAllByTestId("trace:field-error");
    expect(errors.map((e) => e.textContent)).toEqual([
      "steps → 0 → i: Input should be greater than or equal to 0",
      "prompt: Field required",
    ]);
    expect(screen.getByTestId("trace:json-input")).toHaveAttribute("aria-invalid", "true");
  });

  it("shows the detail of a 413", async () => {
    mockFetch({
      "GET /api/traces": listRoute([]),
      "POST /api/traces": () => apiError(413, "PayloadTooLarge", "Request body over 1048576 bytes"),
    });
    const { user } = renderApp("/traces");

    await user.click(screen.getByTestId("trace:load-example"));
    await user.click(screen.getByTestId("trace:submit"));

    const alert = await screen.findByTestId("sys:error");
    expect(alert).toHaveTextContent("PayloadTooLarge");
    expect(alert).toHaveTextContent("Request body over 1048576 bytes");
  });

  it("posts the trace, links the new id and refreshes the list", async () => {
    let stored = false;
    const { requests } = mockFetch({
      "GET /api/traces": () => json(200, page(stored ? [7] : [], 0, null)),
      "POST /api/traces": () => {
        stored = true;
        return json(201, { id: traceId(7), created_at: "2025-03-01T12:00:00Z", trace_version: "1.0" });
      },
    });
    const { user } = renderApp("/traces");
    expect(await screen.findByText(/No traces yet/)).toBeInTheDocument();

    await user.click(screen.getByTestId("trace:load-example"));
    await user.click(screen.getByTestId("trace:submit"));

    const link = await screen.findByTestId("trace:created-id");
    expect(link).toHaveTextContent(traceId(7));
    expect(link).toHaveAttribute("href", `/traces/${traceId(7)}`);
    const post = requests.find((r) => r.method === "POST");
    expect(await post?.json()).toEqual(EXAMPLE_TRACE);
    const list = await screen.findByTestId("trace:list");
    expect(within(list).getAllByTestId("trace:row")).toHaveLength(1);
  });
});
