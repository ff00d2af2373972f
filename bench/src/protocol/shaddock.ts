/**
 * The Shaddock side, through `@shaddock/protocol`'s public API as a connector (server) and the
 * client SDK use it: one `MessageCodec` per side, `decodePackages` for each WebSocket frame.
 */
import {
  type DecodedMessage,
  decodePackages,
  MessageCodec,
  PackageType,
  ProtobufCodec,
  RouteDictionary,
} from '@shaddock/protocol';
import {
  CLIENT_PROTOS,
  type CodecPair,
  DICTIONARY_ROUTES,
  HANDLER_ROUTES,
  type ProtocolCase,
  SERVER_PROTOS,
} from './cases.js';

/** Encode and decode of one case, Shaddock's way. */
export function shaddockPair(testCase: ProtocolCase): CodecPair {
  const dictionary = testCase.useDictionary
    ? RouteDictionary.fromRoutes(HANDLER_ROUTES, DICTIONARY_ROUTES)
    : undefined;
  const options = {
    dictionary,
    serverProtos: new ProtobufCodec(SERVER_PROTOS),
    clientProtos: new ProtobufCodec(CLIENT_PROTOS),
  };
  const server = new MessageCodec(options);
  const client = new MessageCodec(options);
  const pending = new Map<number, string>([[testCase.id, testCase.route]]);
  const routeOfRequest = (id: number): string | undefined => pending.get(id);

  const serverDecode = (frame: Uint8Array): DecodedMessage | undefined => {
    let last: DecodedMessage | undefined;
    for (const pkg of decodePackages(frame)) {
      if (pkg.type === PackageType.Data) last = server.decodeFromClient(pkg.body);
    }
    return last;
  };
  const clientDecode = (frame: Uint8Array): DecodedMessage | undefined => {
    let last: DecodedMessage | undefined;
    for (const pkg of decodePackages(frame)) {
      if (pkg.type === PackageType.Data) last = client.decodeFromServer(pkg.body, routeOfRequest);
    }
    return last;
  };

  const { id, route, body } = testCase;
  switch (testCase.kind) {
    case 'request':
      return { encode: () => client.encodeRequest(id, route, body), decode: serverDecode };
    case 'push':
      return { encode: () => server.encodePush(route, body), decode: clientDecode };
    case 'response':
      return { encode: () => server.encodeResponse(id, route, body), decode: clientDecode };
  }
}
