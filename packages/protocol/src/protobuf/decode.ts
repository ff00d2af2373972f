import type { JsonObject, JsonValue } from '../json.js';
import { invalid, type Reader } from './reader.js';
import {
  type FieldDescriptor,
  KIND_BOOL,
  KIND_DOUBLE,
  KIND_FLOAT,
  KIND_MESSAGE,
  KIND_SINT,
  KIND_STRING,
  KIND_UINT,
  MAX_DEPTH,
  type MessageDescriptor,
  RULE_REPEATED,
  WIRE_LENGTH,
  WIRE_VARINT,
} from './schema.js';

const WIRE_TYPE_NAMES = ['varint', '64-bit', 'length-delimited', 'start group', 'end group', '32-bit'];

/**
 * Reads the fields of one message up to `reader.end`. Unknown fields are skipped by wire type; a known
 * field with another wire type, or a required field absent, is an error. Repeated fields append, others
 * keep their last value; a repeated field never seen is absent (as in pomelo-protobuf), not `[]`.
 *
 * One wire-type mismatch is accepted: varint fields keyed as length-delimited (wire type 2). Pomelo's own
 * browser client writes every uInt32/sInt32/int32 key that way (`TYPES[type] || 2` turns varint's 0 into
 * 2), and pomelo-protobuf servers read it because they ignore wire types.
 */
export function decodeMessage(reader: Reader, descriptor: MessageDescriptor, depth: number): JsonObject {
  const message: JsonObject = {};
  const table = descriptor.tagTable;
  let seen = 0;
  let lastField: FieldDescriptor | undefined;
  let lastArray: JsonValue[] = [];
  while (reader.pos < reader.end) {
    const key = reader.readVarint();
    const wireType = key & 7;
    const tag = key <= 0x7fffffff ? key >>> 3 : Math.floor(key / 8);
    const field = tag < table.length ? table[tag] : descriptor.byTag.get(tag);
    if (field === undefined) {
      reader.skip(wireType);
      continue;
    }
    if (wireType !== field.wireType && !(wireType === WIRE_LENGTH && field.wireType === WIRE_VARINT)) {
      throw wrongWireType(descriptor, field, wireType);
    }
    const bit = field.bit;
    if (field.rule !== RULE_REPEATED) {
      message[field.name] = decodeValue(reader, field, depth);
      seen |= bit;
      continue;
    }
    let array: JsonValue[];
    if (field === lastField) array = lastArray;
    else if (bit !== 0 ? (seen & bit) !== 0 : Object.hasOwn(message, field.name)) {
      array = message[field.name] as JsonValue[];
    } else {
      array = [];
      message[field.name] = array;
      seen |= bit;
    }
    lastField = field;
    lastArray = array;
    if (!field.packed) {
      array.push(decodeValue(reader, field, depth));
      continue;
    }
    const count = reader.readVarint();
    const size = field.kind === KIND_DOUBLE ? 8 : field.kind === KIND_FLOAT ? 4 : 1;
    if (count * size > reader.end - reader.pos) {
      throw invalid(`${descriptor.path}: ${count} elements of "${field.name}" cannot fit in what remains`);
    }
    for (let index = 0; index < count; index++) array.push(decodeValue(reader, field, depth));
  }
  const mask = descriptor.requiredMask;
  if ((seen & mask) !== mask) throw missingRequired(descriptor, message);
  const unmasked = descriptor.requiredUnmasked;
  for (let index = 0; index < unmasked.length; index++) {
    if (!Object.hasOwn(message, unmasked[index]!.name)) throw missingRequired(descriptor, message);
  }
  return message;
}

function decodeValue(reader: Reader, field: FieldDescriptor, depth: number): JsonValue {
  switch (field.kind) {
    case KIND_UINT:
      return reader.readVarint();
    case KIND_SINT:
      return reader.readZigZag();
    case KIND_FLOAT:
      return reader.readFloat32();
    case KIND_DOUBLE:
      return reader.readFloat64();
    case KIND_STRING:
      return reader.readString();
    case KIND_BOOL:
      return reader.readVarint() !== 0;
    case KIND_MESSAGE: {
      if (depth >= MAX_DEPTH) throw invalid(`messages nested more than ${MAX_DEPTH} deep`);
      const length = reader.readLength();
      const end = reader.end;
      reader.end = reader.pos + length;
      const message = decodeMessage(reader, field.message!, depth + 1);
      reader.end = end;
      return message;
    }
    default:
      throw invalid(`field "${field.name}" has an unknown kind`);
  }
}

function missingRequired(descriptor: MessageDescriptor, message: JsonObject): Error {
  const missing = descriptor.required.filter((field) => !Object.hasOwn(message, field.name));
  return invalid(
    `${descriptor.path}: required field(s) ${missing.map((field) => field.name).join(', ')} missing`,
  );
}

function wrongWireType(descriptor: MessageDescriptor, field: FieldDescriptor, wireType: number): Error {
  const got = WIRE_TYPE_NAMES[wireType] ?? `wire type ${wireType}`;
  const expected = WIRE_TYPE_NAMES[field.wireType] ?? '';
  return invalid(`${descriptor.path}: field "${field.name}" (${field.type}) is ${expected}, got ${got}`);
}
