import { ProtocolError, ProtocolErrorCode } from '../errors.js';
import type { ProtoDefinitions, ProtoMessageDefinition } from './schema.js';

/**
 * Protos in the parsed form Pomelo servers put in the handshake (`sys.protos.server/client`) and
 * Pomelo clients expect there: fields as `{option, type, tag}`, nested messages under `__messages`,
 * tag → name under `__tags`. The JSON files hold the other form, {@link ProtoDefinitions}.
 */
export type ParsedProtoDefinitions = { readonly [key: string]: ParsedProtoMessage };

/** One message in the parsed form. */
export type ParsedProtoMessage = {
  readonly [fieldName: string]: ParsedProtoField | ParsedProtoMessages | ParsedProtoTags;
};

/** A field in the parsed form. */
export interface ParsedProtoField {
  readonly option: string;
  readonly type: string;
  readonly tag: number;
}

type ParsedProtoMessages = { readonly [name: string]: ParsedProtoMessage };
type ParsedProtoTags = { readonly [tag: string]: string };

/** The handshake's parsed form of `definitions`, as Pomelo's server sends it. */
export function toParsedForm(definitions: ProtoDefinitions): ParsedProtoDefinitions {
  const parsed: Record<string, ParsedProtoMessage> = {};
  for (const [key, definition] of Object.entries(definitions)) parsed[key] = parseMessage(definition);
  return parsed;
}

/** True when `definitions` are in the handshake's parsed form rather than the JSON files' form. */
export function isParsedForm(definitions: unknown): definitions is ParsedProtoDefinitions {
  if (typeof definitions !== 'object' || definitions === null) return false;
  return Object.values(definitions).some(
    (message) =>
      typeof message === 'object' && message !== null && ('__messages' in message || '__tags' in message),
  );
}

/** The JSON files' form of parsed-form protos, so one compiler serves both. */
export function fromParsedForm(parsed: ParsedProtoDefinitions): ProtoDefinitions {
  const definitions: Record<string, ProtoMessageDefinition> = {};
  for (const [key, message] of Object.entries(parsed)) definitions[key] = unparseMessage(message, key);
  return definitions;
}

function parseMessage(definition: ProtoMessageDefinition): ParsedProtoMessage {
  const message: Record<string, ParsedProtoField | ParsedProtoMessages | ParsedProtoTags> = {};
  const nested: Record<string, ParsedProtoMessage> = {};
  const tags: Record<string, string> = {};
  for (const [key, value] of Object.entries(definition)) {
    const words = key.split(' ');
    if (words[0] === 'message' && typeof value === 'object') {
      nested[words[1] ?? ''] = parseMessage(value);
    } else if (typeof value === 'number' && words.length === 3) {
      const [option = '', type = '', name = ''] = words;
      message[name] = { option, type, tag: value };
      tags[String(value)] = name;
    }
  }
  message['__messages'] = nested;
  message['__tags'] = tags;
  return message;
}

function unparseMessage(message: unknown, path: string): ProtoMessageDefinition {
  if (typeof message !== 'object' || message === null) throw invalidSchema(path, 'is not an object');
  const definition: Record<string, number | ProtoMessageDefinition> = {};
  for (const [name, value] of Object.entries(message)) {
    if (name === '__tags') continue;
    if (name === '__messages') {
      if (typeof value !== 'object' || value === null)
        throw invalidSchema(path, '__messages is not an object');
      for (const [nestedName, nested] of Object.entries(value)) {
        definition[`message ${nestedName}`] = unparseMessage(nested, `${path} > ${nestedName}`);
      }
      continue;
    }
    if (!isField(value)) throw invalidSchema(path, `field "${name}" is not {option, type, tag}`);
    definition[`${value.option} ${value.type} ${name}`] = value.tag;
  }
  return definition;
}

function isField(value: unknown): value is ParsedProtoField {
  if (typeof value !== 'object' || value === null) return false;
  const field = value as Record<string, unknown>;
  return (
    typeof field['option'] === 'string' &&
    typeof field['type'] === 'string' &&
    typeof field['tag'] === 'number'
  );
}

function invalidSchema(path: string, problem: string): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.InvalidProtoSchema, `parsed proto "${path}" ${problem}`);
}
