/**
 * The Pinus side, written the way Pinus runs it: the server as its connector coder
 * (`connectors/common/coder`) and hybrid socket do, the client as pomelo's JS client does, on
 * pinus-protocol and pinus-protobuf.
 */
// The packages' built entries, not their names: see ../pinus.d.ts.
import pinusProtobuf from 'pinus-protobuf/dist/protobuf.js';
import pinusProtocol from 'pinus-protocol/dist/index.js';
import {
  CLIENT_PROTOS,
  type CodecPair,
  type Decoded,
  DICTIONARY_ROUTES,
  HANDLER_ROUTES,
  type ProtocolCase,
  SERVER_PROTOS,
} from './cases.js';

const { Message, Package, Protocol } = pinusProtocol;
const { Protobuf } = pinusProtobuf;

type Dict = { [route: string]: number };
type Abbrs = { [code: number]: string };

/** Codes as Pinus's dictionary component gives them: sorted handler routes, then dictionary.json. */
function dictionary(): { dict: Dict; abbrs: Abbrs } {
  const dict: Dict = {};
  const abbrs: Abbrs = {};
  const routes = [...HANDLER_ROUTES].sort();
  for (const route of DICTIONARY_ROUTES) if (!routes.includes(route)) routes.push(route);
  routes.forEach((route, index) => {
    dict[route] = index + 1;
    abbrs[index + 1] = route;
  });
  return { dict, abbrs };
}

/** Encode and decode of one case, Pinus's way. */
export function pinusPair(testCase: ProtocolCase): CodecPair {
  const { dict, abbrs } = dictionary();
  const useDict = testCase.useDictionary;
  const serverProtos = Protobuf.parse(SERVER_PROTOS);
  const clientProtos = Protobuf.parse(CLIENT_PROTOS);
  // The server's protobuf component and the client's: each encodes its own side's protos.
  const server = new Protobuf({ encoderProtos: serverProtos, decoderProtos: clientProtos });
  const client = new Protobuf({ encoderProtos: clientProtos, decoderProtos: serverProtos });
  const routeMap: { [id: number]: string } = { [testCase.id]: testCase.route };

  // connectors/common/coder.ts encodeBody
  const serverBody = (route: string, body: object): Buffer | null =>
    serverProtos[route] ? server.encode(route, body) : Buffer.from(JSON.stringify(body), 'utf8');

  // pomelo client defaultEncode, then sendMessage's Package.encode
  const clientEncode = (id: number, route: string, body: object): Buffer => {
    const type = id ? Message.TYPE_REQUEST : Message.TYPE_NOTIFY;
    const bytes = clientProtos[route] ? client.encode(route, body) : Protocol.strencode(JSON.stringify(body));
    const code = useDict ? dict[route] : undefined;
    const message = Message.encode(id, type, code !== undefined, code ?? route, bytes);
    return Package.encode(Package.TYPE_DATA, message);
  };

  // coder composeResponse / composePush, then hybridsocket send's Package.encode
  const serverEncode = (id: number, route: string, body: object): Buffer => {
    let message: Buffer;
    if (id) {
      message = Message.encode(id, Message.TYPE_RESPONSE, false, null, serverBody(route, body));
    } else {
      const code = useDict ? dict[route] : undefined;
      message = Message.encode(
        0,
        Message.TYPE_PUSH,
        code !== undefined,
        code ?? route,
        serverBody(route, body),
      );
    }
    return Package.encode(Package.TYPE_DATA, message);
  };

  // hybridsocket ondata's Package.decode, then coder decode
  const serverDecode = (frame: Buffer): Decoded | undefined => {
    let last: Decoded | undefined;
    for (const pkg of packagesOf(frame)) {
      if (pkg.type !== Package.TYPE_DATA || !pkg.body) continue;
      const message = Message.decode(pkg.body);
      let route = message.route;
      if (message.compressRoute) {
        if (!useDict || typeof route !== 'number' || !abbrs[route]) continue;
        route = message.route = abbrs[route] ?? '';
      }
      const bytes = message.body as Buffer;
      const key = String(route);
      if (clientProtos[key]) message.body = server.decode(key, bytes);
      else {
        try {
          message.body = JSON.parse(bytes.toString('utf8'));
        } catch {
          message.body = {};
        }
      }
      last = message;
    }
    return last;
  };

  // pomelo client onmessage's Package.decode, then onData's decode and deCompose
  const clientDecode = (frame: Buffer): Decoded | undefined => {
    let last: Decoded | undefined;
    for (const pkg of packagesOf(frame)) {
      if (pkg.type !== Package.TYPE_DATA || !pkg.body) continue;
      const message = Message.decode(pkg.body);
      if (message.id > 0) {
        message.route = routeMap[message.id] ?? null;
        if (!message.route) continue;
      }
      let route = message.route;
      if (message.compressRoute) {
        if (typeof route !== 'number' || !abbrs[route]) continue;
        route = message.route = abbrs[route] ?? '';
      }
      const bytes = message.body as Buffer;
      const key = String(route);
      message.body = serverProtos[key] ? client.decode(key, bytes) : JSON.parse(Protocol.strdecode(bytes));
      last = message;
    }
    return last;
  };

  const { id, route, body } = testCase;
  if (testCase.kind === 'request') {
    return { encode: () => clientEncode(id, route, body), decode: serverDecode };
  }
  return { encode: () => serverEncode(id, route, body), decode: clientDecode };
}

function packagesOf(frame: Buffer) {
  const decoded = Package.decode(frame);
  return Array.isArray(decoded) ? decoded : [decoded];
}
