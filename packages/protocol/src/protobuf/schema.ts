import { ProtocolError, ProtocolErrorCode } from '../errors.js';

/** Pomelo JSON proto definitions: a route, or a shared root-level `"message X"`, → its message definition. */
export type ProtoDefinitions = { readonly [key: string]: ProtoMessageDefinition };

/**
 * One Pomelo message definition: `"<rule> <type> <name>": tag` fields (rule `required`, `optional` or
 * `repeated`) and nested `"message <Name>": { ... }` definitions.
 */
export type ProtoMessageDefinition = { readonly [fieldKeyOrNested: string]: number | ProtoMessageDefinition };

/** Field kind: an unsigned varint (`uInt32`, `uInt64`). */
export const KIND_UINT = 0;
/** Field kind: a zigzag varint (`sInt32`, `sInt64`, and Pomelo's `int32`). */
export const KIND_SINT = 1;
/** Field kind: a little-endian 32-bit float. */
export const KIND_FLOAT = 2;
/** Field kind: a little-endian 64-bit float. */
export const KIND_DOUBLE = 3;
/** Field kind: a length-prefixed UTF-8 string. */
export const KIND_STRING = 4;
/** Field kind: a varint 0 or 1. */
export const KIND_BOOL = 5;
/** Field kind: a length-prefixed nested message. */
export const KIND_MESSAGE = 6;

/** Field rule `required`: must be present, on encode and on decode. */
export const RULE_REQUIRED = 0;
/** Field rule `optional`. */
export const RULE_OPTIONAL = 1;
/** Field rule `repeated`: an array. */
export const RULE_REPEATED = 2;

/** Wire type of varints (integers and bools). */
export const WIRE_VARINT = 0;
/** Wire type of doubles. */
export const WIRE_FIXED64 = 1;
/** Wire type of strings and messages. */
export const WIRE_LENGTH = 2;
/** Wire type of floats. */
export const WIRE_FIXED32 = 5;

/** The deepest nesting of messages compiled, encoded or decoded; deeper is an error, not a stack overflow. */
export const MAX_DEPTH = 100;

/** Largest field tag: `(tag << 3) | wireType` must stay a positive 31-bit integer. */
const MAX_TAG = 0x0fffffff;

/** Tags below this are looked up in an array rather than a map. */
const DENSE_TAGS = 1024;

/** Pomelo's scalar types: [kind, wire type]. Pomelo's `int32` is zigzag, like `sInt32`. */
const SCALARS: ReadonlyMap<string, readonly [number, number]> = new Map([
  ['uInt32', [KIND_UINT, WIRE_VARINT]],
  ['uInt64', [KIND_UINT, WIRE_VARINT]],
  ['sInt32', [KIND_SINT, WIRE_VARINT]],
  ['sInt64', [KIND_SINT, WIRE_VARINT]],
  ['int32', [KIND_SINT, WIRE_VARINT]],
  ['float', [KIND_FLOAT, WIRE_FIXED32]],
  ['double', [KIND_DOUBLE, WIRE_FIXED64]],
  ['string', [KIND_STRING, WIRE_LENGTH]],
  ['bool', [KIND_BOOL, WIRE_VARINT]],
]);

const RULES: ReadonlyMap<string, number> = new Map([
  ['required', RULE_REQUIRED],
  ['optional', RULE_OPTIONAL],
  ['repeated', RULE_REPEATED],
]);

/** One compiled field: everything the encoder and decoder need, computed once. */
export class FieldDescriptor {
  readonly name: string;
  readonly tag: number;
  readonly rule: number;
  /** The type as written in the definition, for messages. */
  readonly type: string;
  readonly kind: number;
  readonly wireType: number;
  /** The precomputed field key, `(tag << 3) | wireType`. */
  readonly key: number;
  /** Repeated scalars (not strings) are written once: key, element count, elements. */
  readonly packed: boolean;
  /** `1 << index` for the first 31 fields, so a decoder tracks which are present in one integer; else 0. */
  readonly bit: number;
  /** The message type of a `KIND_MESSAGE` field, set once every definition is parsed. */
  message: MessageDescriptor | undefined = undefined;

  constructor(
    index: number,
    name: string,
    tag: number,
    rule: number,
    type: string,
    kind: number,
    wireType: number,
  ) {
    this.bit = index < 31 ? 1 << index : 0;
    this.name = name;
    this.tag = tag;
    this.rule = rule;
    this.type = type;
    this.kind = kind;
    this.wireType = wireType;
    this.key = (tag << 3) | wireType;
    this.packed = rule === RULE_REPEATED && kind !== KIND_STRING && kind !== KIND_MESSAGE;
  }
}

/** One compiled message: its fields in definition order, indexed by name and by tag. */
export class MessageDescriptor {
  /** Where it is defined, for error messages: `"route" > message Path`. */
  readonly path: string;
  readonly fields: FieldDescriptor[] = [];
  readonly byName = new Map<string, FieldDescriptor>();
  readonly byTag = new Map<number, FieldDescriptor>();
  /** `byTag` as a dense array when every tag is below {@link DENSE_TAGS} (the usual case); else empty. */
  tagTable: (FieldDescriptor | undefined)[] = [];
  readonly required: FieldDescriptor[] = [];
  /** The bits of the required fields among the first 31. */
  requiredMask = 0;
  /** Required fields past the first 31 (no bit): checked one by one. */
  readonly requiredUnmasked: FieldDescriptor[] = [];
  /** The `"message X"` definitions nested directly in this one. */
  readonly nested = new Map<string, MessageDescriptor>();

  constructor(path: string) {
    this.path = path;
  }
}

/** The compiled definitions: route → message. Shared root `"message X"` types are reachable through fields. */
export type CompiledRoutes = ReadonlyMap<string, MessageDescriptor>;

/**
 * Compiles Pomelo JSON proto definitions, checking them strictly (they may come from a handshake).
 * Type names resolve as pomelo-protobuf resolves them: the message's own nested `"message X"`, then a
 * root-level `"message X"`. Throws a {@link ProtocolError} (`InvalidProtoSchema`) naming the route and key.
 */
export function compileDefinitions(definitions: unknown): CompiledRoutes {
  if (!isObject(definitions)) throw schemaError('proto definitions must be a JSON object');
  const shared = new Map<string, MessageDescriptor>();
  const routes = new Map<string, MessageDescriptor>();
  for (const key of Object.keys(definitions)) {
    const name = sharedMessageName(key);
    const descriptor = parseMessage(definitions[key], JSON.stringify(key), 0);
    if (name === undefined) routes.set(key, descriptor);
    else shared.set(name, descriptor);
  }
  for (const descriptor of shared.values()) resolve(descriptor, shared);
  for (const descriptor of routes.values()) resolve(descriptor, shared);
  return routes;
}

/** `"message X"` at the root is a shared type named X; any other root key is a route. */
function sharedMessageName(key: string): string | undefined {
  const parts = key.split(' ');
  return parts.length === 2 && parts[0] === 'message' && parts[1] !== '' ? parts[1] : undefined;
}

function parseMessage(definition: unknown, path: string, depth: number): MessageDescriptor {
  if (!isObject(definition)) throw schemaError(`${path}: a message definition must be a JSON object`);
  if (depth > MAX_DEPTH) throw schemaError(`${path}: messages nested more than ${MAX_DEPTH} deep`);
  const descriptor = new MessageDescriptor(path);
  const tags = new Set<number>();
  let maxTag = 0;
  for (const key of Object.keys(definition)) {
    const value = definition[key];
    const parts = key.split(' ');
    if (parts[0] === 'message') {
      const name = parts[1];
      if (parts.length !== 2 || name === undefined || name === '') {
        throw schemaError(`${path}: key ${JSON.stringify(key)} is not "message <Name>"`);
      }
      descriptor.nested.set(name, parseMessage(value, `${path} > message ${name}`, depth + 1));
      continue;
    }
    const [ruleName, type, name] = parts;
    const where = `${path}, key ${JSON.stringify(key)}`;
    if (parts.length !== 3 || ruleName === undefined || type === undefined || name === undefined) {
      throw schemaError(`${where}: a field key is "<rule> <type> <name>", a nested message "message <Name>"`);
    }
    const rule = RULES.get(ruleName);
    if (rule === undefined) {
      throw schemaError(`${where}: unknown rule "${ruleName}" (required, optional or repeated)`);
    }
    if (type === '' || name === '' || name === '__proto__') {
      throw schemaError(`${where}: an empty type or field name, or the field name "__proto__"`);
    }
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_TAG) {
      throw schemaError(`${where}: the tag must be an integer from 0 to ${MAX_TAG}`);
    }
    if (tags.has(value)) throw schemaError(`${where}: tag ${value} is used twice`);
    if (descriptor.byName.has(name)) throw schemaError(`${where}: field "${name}" is defined twice`);
    tags.add(value);
    const scalar = SCALARS.get(type);
    const field = new FieldDescriptor(
      descriptor.fields.length,
      name,
      value,
      rule,
      type,
      scalar?.[0] ?? KIND_MESSAGE,
      scalar?.[1] ?? WIRE_LENGTH,
    );
    descriptor.fields.push(field);
    descriptor.byName.set(name, field);
    descriptor.byTag.set(value, field);
    if (value >= maxTag) maxTag = value + 1;
    if (rule === RULE_REQUIRED) {
      descriptor.required.push(field);
      descriptor.requiredMask |= field.bit;
      if (field.bit === 0) descriptor.requiredUnmasked.push(field);
    }
  }
  if (maxTag <= DENSE_TAGS) {
    descriptor.tagTable = Array.from({ length: maxTag }, (_, tag) => descriptor.byTag.get(tag));
  }
  return descriptor;
}

function resolve(descriptor: MessageDescriptor, shared: ReadonlyMap<string, MessageDescriptor>): void {
  for (const field of descriptor.fields) {
    if (field.kind !== KIND_MESSAGE) continue;
    const message = descriptor.nested.get(field.type) ?? shared.get(field.type);
    if (message === undefined) {
      const key = `${['required', 'optional', 'repeated'][field.rule]} ${field.type} ${field.name}`;
      throw schemaError(
        `${descriptor.path}, key ${JSON.stringify(key)}: unknown type "${field.type}" (not a Pomelo type, ` +
          'nor a "message" nested here or defined at the root)',
      );
    }
    field.message = message;
  }
  for (const nested of descriptor.nested.values()) resolve(nested, shared);
}

function isObject(value: unknown): value is { readonly [key: string]: unknown } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function schemaError(message: string): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.InvalidProtoSchema, `invalid proto schema: ${message}`);
}
