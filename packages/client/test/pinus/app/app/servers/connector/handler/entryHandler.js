'use strict';
// Pinus handler for the routes `connector.entryHandler.<method>`.
// pinus-loader calls `exports.default(app)` and uses the returned instance; every method of the
// class becomes a route and gets a dictionary code (routes sorted by name, codes 1..6 here; the
// routes of config/dictionary.json follow). Helpers therefore live outside the class.
// Methods are async `(msg, session)`; the resolved value is the response body.
// A request whose handler resolves to `undefined`/`null` gets NO response at all (Pinus drops it).

class EntryHandler {
  constructor(app) {
    this.app = app;
  }

  /** Request: responds with the request body unchanged, e.g. `{"hello":"world"}` -> `{"hello":"world"}`. */
  async echo(msg) {
    return msg;
  }

  /**
   * Request with protobuf bodies both ways (config/clientProtos.json, config/serverProtos.json).
   * Responds `code: 200` plus values computed from the request so both directions are checked.
   */
  async proto(msg) {
    const nums = Array.isArray(msg.nums) ? msg.nums : [];
    const path = Array.isArray(msg.path) ? msg.path : [];
    const resp = {
      code: 200,
      id: msg.id,
      name: msg.name,
      sum: nums.reduce((a, b) => a + b, 0),
      nums: nums.map((n) => n * 2),
      tags: Array.isArray(msg.tags) ? msg.tags.slice().reverse() : [],
      path: path.map((p) => ({ x: p.x + 1, y: p.y + 1 })),
    };
    if (msg.delta !== undefined) resp.delta = -msg.delta;
    if (msg.ratio !== undefined) resp.ratio = msg.ratio * 2;
    if (msg.f !== undefined) resp.f = msg.f;
    if (msg.pos !== undefined) {
      resp.pos = { x: -msg.pos.x, y: -msg.pos.y, label: `${msg.pos.x},${msg.pos.y}` };
    }
    return resp;
  }

  /**
   * Request `{ n, proto?: boolean, uid?: string }`: binds the session to a uid (first time only),
   * pushes `onPush {n}` (and `onProtoPush` when `proto` is true) to this session, then responds
   * `{ok: true}`. The pushes reach the client before the response.
   */
  async pushMe(msg, session) {
    await bindOnce(session, msg.uid);
    await pushToSession(this.app, session, 'onPush', { n: msg.n });
    if (msg.proto) {
      await pushToSession(this.app, session, 'onProtoPush', {
        n: msg.n,
        text: `push ${msg.n}`,
        items: [
          { x: 1, y: 2 },
          { x: -3, y: 4 },
        ],
        values: [msg.n, msg.n + 1, msg.n + 2],
      });
    }
    return { ok: true };
  }

  /** Notify `{ x }`: no response; pushes `onPush { fromNotify: x }` to the sender. */
  async notifyMe(msg, session) {
    await bindOnce(session, msg.uid);
    await pushToSession(this.app, session, 'onPush', { fromNotify: msg.x });
  }

  /** Request: always throws. With no errorHandler configured Pinus responds `{"code":500}`. */
  async fail() {
    throw new Error('fail() was asked to fail');
  }

  /**
   * Request `{ reason?: string, afterResponse?: boolean }`: kicks this session with `reason`
   * (default 'bye'): the client gets a KICK package `{"reason":"bye"}`, then the connection closes.
   * By default the kick happens before the handler returns, so the request gets NO response;
   * with `afterResponse: true` the response `{ok: true}` is sent first and the kick follows (50 ms).
   */
  async kickMe(msg, session) {
    const reason = typeof msg.reason === 'string' ? msg.reason : 'bye';
    const kick = () => this.app.get('sessionService').kickBySessionId(session.id, reason);
    if (msg.afterResponse) {
      setTimeout(kick, 50);
    } else {
      kick();
    }
    return { ok: true };
  }
}

async function bindOnce(session, uid) {
  if (!session.uid) {
    await session.abind(typeof uid === 'string' && uid ? uid : `user-${session.id}`);
  }
}

function pushToSession(app, session, route, body) {
  const channelService = app.get('channelService');
  const receivers = [{ uid: session.uid, sid: app.getServerId() }];
  return new Promise((resolve, reject) => {
    channelService.pushMessageByUids(route, body, receivers, (err) => (err ? reject(err) : resolve()));
  });
}

exports.default = (app) => new EntryHandler(app);
