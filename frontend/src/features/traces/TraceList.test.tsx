import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { json, mockFetch } from "../../test/fetchMock";
import { renderApp } from "../../test/render";
import { page, range, summary, traceId } from "../../test/traces";

function pagedList() {
  return mockFetch({
    "GET /api/traces": (request) => {
      const offset = Number(new URL(request.url).searchParams.get("offset"));
      return offset === 0 ? json(200, page(range(1, 20), 0, 20)) : json(200, page(range(21, 5), 20, null));
    },
  });
}

describe("trace list", () => {
  it("shows each trace's prompt (linking to it), final answer, source, score, time and short id", async () => {
    pagedList();
    renderApp("/traces");

    const rows = await screen.findAllByTestId("trace:row");
    expect(rows).toHaveLength(20);
    const [first, second, third] = rows as [HTMLElement, HTMLElement, HTMLElement];
    const link = within(first).getByRole("link", { name: "Question 1: what is 1 × 19?" });
    expect(link).toHaveAttribute("href", `/traces/${traceId(1)}`);
    expect(within(first).getByTestId("trace:answer")).toHaveTextContent("19");
    expect(within(first).getByTestId("trace:source")).toHaveTextContent("—");
    expect(within(second).getByTestId("trace:source")).toHaveTextContent("arithmetic");
    expect(within(first).getByTestId("trace:score")).toHaveTextContent("—");
    expect(within(third).getByTestId("trace:score")).toHaveTextContent("42.5");
    expect(within(first).getByText(traceId(1).slice(0, 8))).toBeInTheDocument();
    const time = first.querySelector("time");
    expect(time).toHaveAttribute("dateTime", "2025-03-01T12:00:00Z");
    expect(time?.textContent).toMatch(/2025/);
  });

  it("marks a preview the server cut at 160 characters", async () => {
    const long = { ...summary(1), prompt_preview: "p".repeat(160), final_answer_preview: "a".repeat(160) };
    mockFetch({ "GET /api/traces": () => json(200, { ...page([], 0, null), data: [long] }) });
    renderApp("/traces");

    expect(await screen.findByTestId("trace:prompt")).toHaveTextContent(`${"p".repeat(160)}…`);
    expect(screen.getByTestId("trace:answer")).toHaveTextContent(`${"a".repeat(160)}…`);
  });

  it("pages with offset and next_offset, 20 at a time", async () => {
    const { pathsCalled } = pagedList();
    const { user } = renderApp("/traces");

    await screen.findAllByTestId("trace:row");
    expect(screen.getByTestId("trace:prev-page")).toBeDisabled();
    await user.click(screen.getByTestId("trace:next-page"));

    expect(await screen.findByText("21–25")).toBeInTheDocument();
    expect(screen.getAllByTestId("trace:row")).toHaveLength(5);
    expect(screen.getByTestId("trace:next-page")).toBeDisabled();
    expect(pathsCalled()).toContain("GET /api/traces?limit=20&offset=20");

    await user.click(screen.getByTestId("trace:prev-page"));
    expect(await screen.findByText("1–20")).toBeInTheDocument();
    expect(screen.getByTestId("trace:prev-page")).toBeDisabled();
  });

  it("compares the two selected traces", async () => {
    const { pathsCalled } = mockFetch({
      "GET /api/traces": () => json(200, page(range(1, 3), 0, null)),
      "GET /api/traces/compare": () => json(404, { error: "TraceNotFound", detail: "not under test" }),
    });
    const { user } = renderApp("/traces");

    const boxes = await screen.findAllByTestId("trace:compare-select");
    const button = screen.getByTestId("trace:compare-button");
    expect(button).toBeDisabled();
    await user.click(boxes[0]!);
    expect(button).toBeDisabled();
    await user.click(boxes[2]!);
    expect(button).toBeEnabled();

    await user.click(button);

    expect(await screen.findByRole("heading", { name: "Compare traces" })).toBeInTheDocument();
    await screen.findByTestId("sys:error");
    expect(pathsCalled()).toContain(`GET /api/traces/compare?base=${traceId(1)}&other=${traceId(3)}`);
  });

  it("keeps at most two selected, dropping the oldest pick", async () => {
    mockFetch({ "GET /api/traces": () => json(200, page(range(1, 3), 0, null)) });
    const { user } = renderApp("/traces");

    const boxes = await screen.findAllByTestId<HTMLInputElement>("trace:compare-select");
    await user.click(boxes[0]!);
    await user.click(boxes[1]!);
    await user.click(boxes[2]!);

    expect(boxes.map((b) => b.checked)).toEqual([false, true, true]);
    await user.click(boxes[1]!);
    expect(screen.getByText("1/2 selected")).toBeInTheDocument();
  });

  it("shows a list error from the server", async () => {
    mockFetch({ "GET /api/traces": () => json(403, { error: "Forbidden", detail: "Token scope read is not enough" }) });
    renderApp("/traces");
    expect(await screen.findByTestId("sys:error")).toHaveTextContent("Forbidden");
  });
});
