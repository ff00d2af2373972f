/**
 * The chat's client API, built from the servers' own types: every method of every handler
 * becomes a request route (`<type>.<handler>.<method>`, its body and answer taken from the
 * method's signature), and the pushes come from `ChatPushes`. Type-only imports: nothing of the
 * servers reaches the browser bundle. `connect<ChatApi>(…)` then makes a wrong route, body,
 * answer use or push name a compile error.
 */
import type { HandlerSession } from 'shaddock';
import type { ChatPushes } from '../app/chat-protocol.js';
import type chatHandler from '../app/servers/chat/handler/chatHandler.js';
import type entryHandler from '../app/servers/connector/handler/entryHandler.js';
import type gateHandler from '../app/servers/gate/handler/gateHandler.js';

/**
 * The chat's handlers, by server type and name, as the framework finds them:
 * `app/servers/<type>/handler/<name>.ts`, each file's default export.
 */
export type ChatHandlers = {
  gate: { gateHandler: typeof gateHandler };
  connector: { entryHandler: typeof entryHandler };
  chat: { chatHandler: typeof chatHandler };
};

/** The handler a table entry describes: a factory's result, a class's instance, or the object itself. */
type HandlerOf<Source> = Source extends abstract new (
  ...args: never[]
) => infer Instance
  ? Instance
  : Source extends (...args: never[]) => infer Made
    ? Made
    : Source;

/** Every `[route, method]` pair of a handler table, as a union. */
type RouteMethods<Table> = {
  [Type in keyof Table & string]: {
    [Name in keyof Table[Type] & string]: {
      [Method in keyof HandlerOf<Table[Type][Name]> & string]: [
        `${Type}.${Name}.${Method}`,
        HandlerOf<Table[Type][Name]>[Method],
      ];
    }[keyof HandlerOf<Table[Type][Name]> & string];
  }[keyof Table[Type] & string];
}[keyof Table & string];

/** A handler table's request routes: route → `{ request, response }`, from each method's message and answer. */
export type HandlerRequests<Table> = {
  [Entry in RouteMethods<Table> as Entry[1] extends (message: never, session: HandlerSession) => unknown
    ? Entry[0]
    : never]: Entry[1] extends (message: infer Request, session: HandlerSession) => infer Response
    ? { request: Request; response: Awaited<Response> }
    : never;
};

/** The chat as its clients see it: `connect<ChatApi>({ host, port })`. */
export type ChatApi = {
  requests: HandlerRequests<ChatHandlers>;
  pushes: ChatPushes;
};
