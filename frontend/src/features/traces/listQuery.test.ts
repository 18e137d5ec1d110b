import { describe, expect, it } from "vitest";
import { EMPTY_LIST_QUERY, hasFilters, listApiParams, listSearchParams, readListQuery } from "./listQuery";

describe("trace list query", () => {
  it("round-trips every filter through the URL", () => {
    const query = { q: "27 × 19", source: "ungar", scored: false, from: "2026-12-01", to: "2026-12-07", offset: 40 };
    const params = listSearchParams(query);
    expect(params.toString()).toBe("q=27+%C3%97+19&source=ungar&scored=false&from=2026-12-01&to=2026-12-07&offset=40");
    expect(readListQuery(params)).toEqual(query);
  });

  it("leaves the unfiltered first page's URL bare", () => {
    expect(listSearchParams(EMPTY_LIST_QUERY).toString()).toBe("");
    expect(hasFilters(EMPTY_LIST_QUERY)).toBe(false);
  });

  it("ignores what it cannot read", () => {
    const read = readListQuery(new URLSearchParams("scored=maybe&from=yesterday&to=2026-02-31x&offset=-3&q="));
    expect(read).toEqual(EMPTY_LIST_QUERY);
  });

  it("sends the API only the filters set, days as the instants they start and end", () => {
    expect(listApiParams(EMPTY_LIST_QUERY, 20)).toEqual({ limit: 20, offset: 0 });
    const params = listApiParams({ ...EMPTY_LIST_QUERY, scored: true, from: "2026-03-01", to: "2026-03-31" }, 20);
    expect(params).toEqual({
      limit: 20,
      offset: 0,
      scored: true,
      created_from: new Date(2026, 2, 1).toISOString(),
      created_to: new Date(2026, 3, 1).toISOString(),
    });
  });
});
