import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  type HandshakeProtos,
  type JsonObject,
  MessageCodec,
  ProtobufCodec,
  type ProtoDefinitions,
  RouteDictionary,
  toParsedForm,
} from '@shaddock/protocol';
import { dictionaryRoutes } from '../config/index.js';
import { ConfigError, ErrorCode } from '../errors.js';
import type { ConnectorSettings } from './connector-config.js';
import { HandshakeResponses } from './handshake.js';

/** The one codec of a frontend and the handshake responses that describe it to clients. */
export interface FrontendCodec {
  readonly codec: MessageCodec;
  readonly handshake: HandshakeResponses;
  readonly dictionary: RouteDictionary | undefined;
  readonly protos: HandshakeProtos | undefined;
}

/** Where the frontend's codec comes from. */
export interface FrontendCodecSource {
  /** The app's folder, the one that holds `config/`. */
  readonly base: string;
  readonly env: string;
  /** The sorted handler routes of every server type (only asked for in the `'auto'` dictionary mode). */
  handlerRoutes(): Promise<readonly string[]>;
}

/**
 * Builds the dictionary (handler routes + `config/dictionary.json`, or that file alone when
 * `'stable'`) and the protos (`config/serverProtos.json`, `config/clientProtos.json`; their
 * version is a hash of both), then the one {@link MessageCodec} of the frontend.
 * `config/<env>/<file>` wins over `config/<file>`, as for every config file.
 */
export async function loadFrontendCodec(
  source: FrontendCodecSource,
  settings: ConnectorSettings,
): Promise<FrontendCodec> {
  let dictionary: RouteDictionary | undefined;
  if (settings.useDict) {
    const extra = await readRouteList(source, 'dictionary.json');
    dictionary =
      settings.dictionaryMode === 'stable'
        ? RouteDictionary.stable(extra)
        : RouteDictionary.fromRoutes(await source.handlerRoutes(), extra);
  }
  const serverFile = await readJsonConfig(source, 'serverProtos.json');
  const clientFile = await readJsonConfig(source, 'clientProtos.json');
  const useProtobuf = settings.useProtobuf ?? (serverFile !== undefined || clientFile !== undefined);
  let protos: HandshakeProtos | undefined;
  let serverProtos: ProtobufCodec | undefined;
  let clientProtos: ProtobufCodec | undefined;
  if (useProtobuf) {
    const server = protoDefinitions(serverFile);
    const client = protoDefinitions(clientFile);
    serverProtos = compile(server, serverFile);
    clientProtos = compile(client, clientFile);
    const version = createHash('sha1')
      .update(JSON.stringify([server, client]))
      .digest('base64url');
    protos = { server: toParsedForm(server), client: toParsedForm(client), version };
  }
  const codec = new MessageCodec({ dictionary, serverProtos, clientProtos });
  const handshake = new HandshakeResponses({
    heartbeatSeconds: settings.heartbeatSeconds,
    dictionary,
    protos,
  });
  return { codec, handshake, dictionary, protos };
}

interface JsonFile {
  readonly file: string;
  readonly value: unknown;
}

async function readJsonConfig(source: FrontendCodecSource, name: string): Promise<JsonFile | undefined> {
  const config = path.join(source.base, 'config');
  for (const file of [path.join(config, source.env, name), path.join(config, name)]) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw new ConfigError(ErrorCode.ConfigInvalid, file, undefined, 'cannot be read', { cause: error });
    }
    try {
      return { file, value: JSON.parse(text) };
    } catch (cause) {
      throw new ConfigError(ErrorCode.ConfigInvalid, file, undefined, 'is not valid JSON', { cause });
    }
  }
  return undefined;
}

async function readRouteList(source: FrontendCodecSource, name: string): Promise<string[]> {
  const found = await readJsonConfig(source, name);
  return found === undefined ? [] : dictionaryRoutes(found.file, found.value);
}

function protoDefinitions(found: JsonFile | undefined): ProtoDefinitions {
  if (found === undefined) return {};
  const { file, value } = found;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(ErrorCode.ConfigInvalid, file, undefined, 'must be an object of proto definitions');
  }
  return value as ProtoDefinitions;
}

function compile(definitions: ProtoDefinitions, found: JsonFile | undefined): ProtobufCodec {
  try {
    return new ProtobufCodec(definitions);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new ConfigError(ErrorCode.ConfigInvalid, found?.file ?? 'protos', undefined, reason, { cause });
  }
}

/** The body sent when a response cannot be encoded as the handler returned it. */
const ENCODE_FAILED_BODY: JsonObject = { code: 500, message: 'the response could not be encoded' };

/**
 * A response package. A body the route's proto cannot encode goes as JSON instead (a client
 * without that proto still reads it), and a body JSON cannot encode becomes a `{code: 500}`.
 */
export function encodeResponse(
  codec: MessageCodec,
  id: number,
  route: string,
  body: JsonObject,
  report: (error: unknown) => void,
): Uint8Array {
  try {
    return codec.encodeResponse(id, route, body);
  } catch (error) {
    report(error);
    try {
      return codec.encodeResponse(id, '', body);
    } catch {
      return codec.encodeResponse(id, '', ENCODE_FAILED_BODY);
    }
  }
}
