// A generator describes its `params` with a JSON schema (pydantic's). The panel offers
// an input for each integer property, with the schema's bounds and default.

export type IntegerParam = {
  name: string;
  title: string;
  description: string | null;
  minimum: number | null;
  maximum: number | null;
  default: number | null;
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function numberOrNull(value: unknown): number | null {
  return typeof value === "number" ? value : null;
}

export function readIntegerParams(schema: Record<string, unknown>): IntegerParam[] {
  const { properties } = schema;
  if (!isRecord(properties)) return [];
  return Object.entries(properties).flatMap(([name, property]): IntegerParam[] => {
    if (!isRecord(property) || property.type !== "integer") return [];
    return [
      {
        name,
        title: typeof property.title === "string" ? property.title : name,
        description: typeof property.description === "string" ? property.description : null,
        minimum: numberOrNull(property.minimum),
        maximum: numberOrNull(property.maximum),
        default: numberOrNull(property.default),
      },
    ];
  });
}
