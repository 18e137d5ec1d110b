import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { apiError, json, mockFetch } from "../../test/fetchMock";
import { renderApp } from "../../test/render";
import { page } from "../../test/traces";
import { EXAMPLE_TRACE } from "./example";

const trace = (prompt: string) => ({ ...EXAMPLE_TRACE, prompt });

function file(name: string, content: string): File {
  return new File([content], name, { type: name.endsWith(".json") ? "application/json" : "" });
}

const jsonl = (...traces: unknown[]) => traces.map((t) => JSON.stringify(t)).join("\n");

function routes(batch: (body: unknown[]) => Response = (body) => json(201, { created: body.length, traces: [] })) {
  const bodies: unknown[][] = [];
  const mocked = mockFetch({
    "GET /api/traces": () => json(200, page([], 0, null)),
    "GET /api/traces/sources": () => json(200, { sources: [], truncated: false }),
    "POST /api/traces/batch": async (request) => {
      const body = (await request.json()) as unknown[];
      bodies.push(body);
      return batch(body);
    },
  });
  return { ...mocked, bodies };
}

describe("trace file import", () => {
  it("reads several files at once and says how many traces each holds", async () => {
    routes();
    const { user } = renderApp("/traces");

    await user.upload(screen.getByLabelText("Trace files"), [
      file("one.json", JSON.stringify(trace("a"))),
      file("list.json", JSON.stringify([trace("b"), trace("c")])),
      file("lines.jsonl", jsonl(trace("d"), trace("e"), trace("f"))),
    ]);

    const lines = await screen.findAllByTestId("trace:import-file");
    expect(lines.map((l) => l.textContent)).toEqual([
      "one.json — 1 trace to import",
      "list.json — 2 traces to import",
      "lines.jsonl — 3 traces to import",
    ]);
    expect(screen.getByTestId("trace:import-button")).toHaveTextContent("Import 6 traces from 3 files");
  });

  it("sends each file as a batch and reports what was stored", async () => {
    const { bodies, pathsCalled } = routes();
    const { user } = renderApp("/traces");
    await user.upload(screen.getByLabelText("Trace files"), [
      file("a.jsonl", jsonl(trace("a1"), trace("a2"))),
      file("b.json", JSON.stringify(trace("b1"))),
    ]);

    await user.click(await screen.findByTestId("trace:import-button"));

    expect(await screen.findByTestId("trace:import-summary")).toHaveTextContent("3 traces stored.");
    expect(bodies.map((b) => b.map((t) => (t as { prompt: string }).prompt))).toEqual([["a1", "a2"], ["b1"]]);
    const lines = screen.getAllByTestId("trace:import-file").map((l) => l.textContent);
    expect(lines).toEqual(["a.jsonl — 2 traces stored", "b.json — 1 trace stored"]);
    expect(screen.getByTestId("trace:import-button")).toBeDisabled();
    // The list is asked again for the new traces.
    await waitFor(() => expect(pathsCalled().filter((p) => p.startsWith("GET /api/traces?")).length).toBe(2));
  });

  it("names each line it cannot read and does not send that file", async () => {
    const { bodies } = routes();
    const { user } = renderApp("/traces");
    await user.upload(screen.getByLabelText("Trace files"), [
      file("bad.jsonl", `${JSON.stringify(trace("ok"))}\n{"prompt": \n42`),
      file("good.jsonl", jsonl(trace("g"))),
    ]);

    const [bad] = await screen.findAllByTestId("trace:import-file");
    expect(bad).toHaveTextContent("bad.jsonl — 2 problems: this file will not be sent until it is fixed");
    const errors = within(bad!).getByTestId("trace:import-errors");
    expect(errors).toHaveTextContent(/line 2: not JSON/);
    expect(errors).toHaveTextContent("line 3: a number, not a trace (a JSON object)");

    expect(screen.getByTestId("trace:import-button")).toHaveTextContent(/^Import 1 trace$/);
    await user.click(screen.getByTestId("trace:import-button"));
    expect(await screen.findByTestId("trace:import-summary")).toHaveTextContent("1 trace stored.");
    expect(bodies).toHaveLength(1);
  });

  it("shows the server's refusals at the lines they concern", async () => {
    routes(() =>
      apiError(422, "ValidationError", [
        { loc: ["body", 1, "steps", 0, "i"], msg: "Input should be greater than or equal to 0", type: "greater_than_equal" },
        { loc: ["body", 2, "prompt"], msg: "String should have at least 1 character", type: "string_too_short" },
      ]),
    );
    const { user } = renderApp("/traces");
    await user.upload(screen.getByLabelText("Trace files"), [
      file("t.jsonl", `${jsonl(trace("a"))}\n\n${jsonl(trace("b"), trace(""))}`),
    ]);

    await user.click(await screen.findByTestId("trace:import-button"));

    const errors = await screen.findByTestId("trace:import-errors");
    expect(Array.from(errors.querySelectorAll("li")).map((li) => li.textContent)).toEqual([
      "line 3: steps → 0 → i: Input should be greater than or equal to 0",
      "line 4: prompt: String should have at least 1 character",
    ]);
    expect(screen.getByTestId("trace:import-file")).toHaveTextContent("t.jsonl — 0 traces of 3 stored");
    expect(screen.getByTestId("trace:import-summary")).toHaveTextContent("0 traces stored.");
  });
});
