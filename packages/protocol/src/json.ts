/** A value JSON can carry. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object: the shape of every Pomelo message body. */
export type JsonObject = { [key: string]: JsonValue };

/** Whether a JSON value is an object (not an array, not null): what most routes take. */
export function isJsonObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
