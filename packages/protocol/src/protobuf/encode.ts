import type { ProtocolError } from '../errors.js';
import type { JsonObject, JsonValue } from '../json.js';
import { invalid } from './reader.js';
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
  RULE_REQUIRED,
} from './schema.js';
import type { Writer } from './writer.js';

const TWO_POW_32 = 4294967296;
const TWO_POW_63 = 2 ** 63;
const TWO_POW_64 = 2 ** 64;

/**
 * Writes `message`'s fields as pomelo-protobuf does: in the message's own key order, keys without a field
 * ignored, `null`/`undefined` values skipped (then a required field is missing), empty arrays skipped.
 */
export function encodeMessage(
  writer: Writer,
  descriptor: MessageDescriptor,
  message: JsonObject,
  depth: number,
): void {
  const byName = descriptor.byName;
  let required = 0;
  for (const name in message) {
    const field = byName.get(name);
    if (field === undefined) continue;
    const value = message[name];
    if (value === undefined || value === null) continue;
    if (field.rule === RULE_REPEATED) {
      encodeRepeated(writer, field, value, depth);
      continue;
    }
    if (field.rule === RULE_REQUIRED) required++;
    writer.writeVarint32(field.key);
    encodeValue(writer, field, value, depth);
  }
  if (required !== descriptor.required.length) throw missingRequired(descriptor, message);
}

function encodeRepeated(writer: Writer, field: FieldDescriptor, value: JsonValue, depth: number): void {
  if (!Array.isArray(value)) throw wrongType(field, value, 'an array');
  const count = value.length;
  if (count === 0) return;
  if (field.packed) {
    writer.writeVarint32(field.key);
    writer.writeVarint32(count);
    for (let index = 0; index < count; index++) encodeValue(writer, field, value[index], depth);
    return;
  }
  for (let index = 0; index < count; index++) {
    writer.writeVarint32(field.key);
    encodeValue(writer, field, value[index], depth);
  }
}

function encodeValue(
  writer: Writer,
  field: FieldDescriptor,
  value: JsonValue | undefined,
  depth: number,
): void {
  switch (field.kind) {
    case KIND_UINT:
      if (typeof value !== 'number') throw wrongType(field, value, 'a number');
      if (value === value >>> 0) writer.writeVarint32(value);
      else writeUnsigned(writer, field, value);
      return;
    case KIND_SINT:
      if (typeof value !== 'number') throw wrongType(field, value, 'a number');
      if (value === (value | 0)) writer.writeVarint32(((value << 1) ^ (value >> 31)) >>> 0);
      else writeSigned(writer, field, value);
      return;
    case KIND_FLOAT:
      if (typeof value !== 'number') throw wrongType(field, value, 'a number');
      writer.writeFloat32(value);
      return;
    case KIND_DOUBLE:
      if (typeof value !== 'number') throw wrongType(field, value, 'a number');
      writer.writeFloat64(value);
      return;
    case KIND_STRING:
      if (typeof value !== 'string') throw wrongType(field, value, 'a string');
      writer.writeString(value);
      return;
    case KIND_BOOL:
      if (typeof value !== 'boolean' && typeof value !== 'number') throw wrongType(field, value, 'a boolean');
      writer.writeVarint32(value ? 1 : 0);
      return;
    case KIND_MESSAGE: {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw wrongType(field, value, 'an object');
      }
      if (depth >= MAX_DEPTH) throw invalid(`messages nested more than ${MAX_DEPTH} deep (a cycle?)`);
      const at = writer.beginLength();
      encodeMessage(writer, field.message!, value, depth + 1);
      writer.endLength(at);
      return;
    }
  }
}

/** The slow path of unsigned fields: fractions truncate toward zero (as `parseInt` does); up to 2^64. */
function writeUnsigned(writer: Writer, field: FieldDescriptor, value: number): void {
  const integer = Math.trunc(value);
  if (!(integer >= 0 && integer < TWO_POW_64)) throw wrongType(field, value, 'an integer from 0 to 2^64−1');
  writer.writeVarint(integer);
}

/**
 * The slow path of zigzag fields, exact for any integer magnitude below 2^63. pomelo-protobuf computes
 * `2|n| − 1` in doubles, which agrees with this for |n| ≤ 2^52 and loses the low bit beyond.
 */
function writeSigned(writer: Writer, field: FieldDescriptor, value: number): void {
  const integer = Math.trunc(value);
  if (!(Math.abs(integer) < TWO_POW_63)) throw wrongType(field, value, 'an integer of magnitude below 2^63');
  if (integer >= 0) {
    writer.writeVarint(integer * 2);
    return;
  }
  const magnitude = -integer;
  let hi = Math.floor(magnitude / TWO_POW_32);
  let lo = magnitude - hi * TWO_POW_32;
  // 2|n| − 1 = 2(|n| − 1) + 1, computed on the two 32-bit halves.
  if (lo === 0) {
    lo = 0xffffffff;
    hi -= 1;
  } else lo -= 1;
  writer.writeVarint64(((lo << 1) | 1) >>> 0, hi * 2 + (lo >>> 31));
}

function wrongType(field: FieldDescriptor, value: unknown, expected: string): ProtocolError {
  const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
  const detail = typeof value === 'number' ? ` ${value}` : '';
  return invalid(`field "${field.name}" (${field.type}) must be ${expected}, got ${got}${detail}`);
}

function missingRequired(descriptor: MessageDescriptor, message: JsonObject): ProtocolError {
  const missing = descriptor.required
    .filter((field) => !Object.hasOwn(message, field.name) || message[field.name] == null)
    .map((field) => field.name);
  return invalid(`${descriptor.path}: required field(s) ${missing.join(', ')} missing`);
}
