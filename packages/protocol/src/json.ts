/** A value JSON can carry. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object: the shape of every Pomelo message body. */
export type JsonObject = { [key: string]: JsonValue };
