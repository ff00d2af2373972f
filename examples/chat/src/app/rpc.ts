import { type Application, createRpcProxy, type RpcProxy } from 'shaddock';
import type chatRemote from './servers/chat/remote/chatRemote.js';

/** This app's remotes, by server type: what {@link chatRpc} is typed from. */
export type ChatRemotes = { chat: { chatRemote: typeof chatRemote } };

/**
 * RPC to this app's remotes, typed from their source: `chatRpc(app).chat.chatRemote.add(rid, …)`,
 * where a wrong argument or a wrong use of the answer is a compile error. It is `app.rpc` (the
 * same client, routes and filters) typed by {@link ChatRemotes}; call it once the server started.
 *
 * Why not `declare module 'shaddock' { interface Remotes { chat: … } }` and `app.rpc`: the
 * workspace type-checks every app in one program, where the framework's test fixture already
 * declares a `chat` server type with other remotes, and the two declarations would clash.
 */
export function chatRpc(app: Application): RpcProxy<ChatRemotes> {
  return createRpcProxy<ChatRemotes>(app.rpcClient);
}
