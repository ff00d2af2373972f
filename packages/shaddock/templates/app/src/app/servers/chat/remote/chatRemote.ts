// The chat servers' remote: every server calls it as `app.rpc.chat.chatRemote.<method>`.
import type { Application } from 'shaddock';

/** The chat remote, made once per chat server. */
export default function chatRemote(app: Application) {
  return {
    /** A greeting for `name`, signed by this chat server. */
    async greet(name: string): Promise<string> {
      return `Hello, ${name}! (${app.serverId})`;
    },
  };
}

// Types `app.rpc.chat.chatRemote` from this file, on every server.
declare module 'shaddock' {
  interface Remotes {
    chat: { chatRemote: typeof chatRemote };
  }
}
