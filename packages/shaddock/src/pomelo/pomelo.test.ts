import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { JsonObject } from '@shaddock/protocol';
import { describe, expect, it } from 'vitest';
import { ChannelService } from '../channel/index.js';
import type { HandlerContext } from '../handler/index.js';
import { LocalMembership } from '../membership/index.js';
import { type SessionConnection, SessionService } from '../session/index.js';
import { splitCallback } from './callback.js';
import { adaptComponent, makeComponent } from './components.js';
import { translateConnectorConfig } from './connectors.js';
import { adaptAfter, adaptBefore, adaptErrorHandler } from './filters.js';
import { adaptHandler } from './handlers.js';
import * as pomelo from './index.js';
import { adaptRemote, callbackArguments } from './rpc.js';
import { PomeloSession } from './session.js';
import { PomeloSessionService } from './sessions.js';

const PACKAGE = fileURLToPath(new URL('../../', import.meta.url));
const noReport = (error: unknown): void => {
  throw error;
};

function context(route = 'chat.chatHandler.send'): HandlerContext {
  const [serverType = '', handler = '', method = ''] = route.split('.');
  return { id: 1, route, serverType, handler, method };
}

/** A frontend's session service with one open session. */
function frontend() {
  const service = new SessionService({ frontendId: 'connector-1' });
  const connection: SessionConnection = {
    id: 7,
    remoteAddress: { ip: '127.0.0.1', port: 4000 },
    closed: false,
    kick: () => service.remove(session.id, 'kick'),
    close: (reason) => service.remove(session.id, reason),
  };
  const session = service.create(connection);
  return { service, session, pomelo: new PomeloSessionService(() => service, noReport) };
}

describe('shaddock/pomelo from CommonJS', () => {
  it("require('shaddock/pomelo') works in a plain CommonJS script on this Node", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shaddock-pomelo-cjs-'));
    try {
      const script = join(dir, 'app.js');
      writeFileSync(
        script,
        [
          "const pomelo = require('shaddock/pomelo');",
          'const app = pomelo.createApp();',
          "app.configure('development', 'connector', () => app.set('hit', true));",
          'console.log(JSON.stringify({ createApp: typeof pomelo.createApp, same: pomelo.app === app,',
          "  serverType: app.getServerType(), hit: app.get('hit') === true, env: app.get('env'),",
          '  hybrid: typeof pomelo.connectors.hybridconnector, events: pomelo.events.BIND_SESSION }));',
        ].join('\n'),
      );
      writeFileSync(join(dir, 'package.json'), '{ "name": "cjs-app" }');
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [script, 'env=development', 'id=connector-1', 'serverType=connector', 'host=127.0.0.1'],
        { env: { ...process.env, NODE_PATH: join(PACKAGE, '..', '..', 'node_modules') } },
      );
      expect(JSON.parse(stdout)).toEqual({
        createApp: 'function',
        same: true,
        serverType: 'connector',
        hit: true,
        env: 'development',
        hybrid: 'function',
        events: 'bind_session',
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('PomeloApplication before start', () => {
  it('is made synchronously and answers Pomelo names and configure by env and type', () => {
    const app = pomelo.createApp({ base: PACKAGE });
    expect(pomelo.app).toBe(app);
    expect(app.get('base')).toBe(PACKAGE.replace(/\/$/, ''));
    expect(app.get('env')).toBe(app.env);
    expect(app.get('channelService')).toBe(app.channelService);
    let ran = 0;
    app.configure(() => ran++);
    app.configure('nowhere', () => ran++);
    app.configure(`${app.env}|other`, 'all', () => ran++);
    app.configure('all', 'not-this-type', () => ran++);
    expect(ran).toBe(2);
    expect(app.set('name', 'chat', true)).toBe(app);
    expect(app.set('name')).toBe('chat');
    expect((app as unknown as { name: string }).name).toBe('chat');
    app.enable('flag');
    expect(app.enabled('flag')).toBe(true);
    expect(app.disabled('other')).toBe(true);
  });

  it('loads components from a factory (app, opts) and ignores a second of the same name, saying so', async () => {
    const app = pomelo.createApp({ base: PACKAGE });
    const made = makeComponent((given: unknown, options: { n: number }) => ({ given, n: options.n }), app, {
      n: 3,
    });
    expect(made).toMatchObject({ given: app, n: 3 });
    app.load('counter', (_app: unknown, options: { n: number }) => ({ n: options.n }), { n: 1 });
    app.load('counter', { n: 2 });
    expect(app.components['counter']).toEqual({ n: 1 });
  });

  it('throws a coded error for the services before start', () => {
    const app = pomelo.createApp({ base: PACKAGE });
    expect(() => app.channelService.createChannel('room')).toThrow(/once app.start\(\) runs/);
    expect(app.rpc).toBeUndefined();
  });
});

describe('callback adapters', () => {
  it("takes a trailing function, null or undefined as the RPC callback (Pomelo's proxy does)", () => {
    const callback = (): void => {};
    expect(splitCallback([1, 2, callback])).toEqual({ args: [1, 2], callback });
    expect(splitCallback([1, null])).toEqual({ args: [1], callback: undefined });
    expect(splitCallback([1, 'x'])).toEqual({ args: [1, 'x'], callback: undefined });
  });

  it("runs a Pomelo remote's methods as promises of their callback arguments", async () => {
    const remote = {
      add(a: number, b: number, cb: (...args: unknown[]) => void) {
        cb(null, a + b, 'extra');
      },
      users(cb: (users: string[]) => void) {
        cb(['ann']);
      },
      fail(cb: (error: Error) => void) {
        cb(new Error('nope'));
      },
      async plain() {
        return { ok: true };
      },
    };
    const adapted = adaptRemote(remote, 'testRemote', noReport) as Record<
      string,
      (...args: unknown[]) => Promise<unknown>
    >;
    expect(callbackArguments(await adapted['add']?.(1, 2))).toEqual([null, 3, 'extra']);
    expect(callbackArguments(await adapted['users']?.())).toEqual([['ann']]);
    await expect(adapted['fail']?.()).rejects.toThrow('nope');
    expect(callbackArguments(await adapted['plain']?.())).toEqual([null, { ok: true }]);
  });

  it('runs handler methods (msg, session, next) and sets msg.__route__', async () => {
    const { session, service } = frontend();
    const handler = {
      echo(
        msg: JsonObject,
        pomeloSession: PomeloSession,
        next: (error: unknown, response?: JsonObject) => void,
      ) {
        next(null, { route: msg['__route__'] ?? null, id: pomeloSession.id });
      },
      fail(_msg: JsonObject, _session: unknown, next: (error: unknown, response?: JsonObject) => void) {
        next(new Error('bad'), { reason: 'bad' });
      },
    };
    const adapted = adaptHandler(handler, 'connector.entry', () => false, noReport);
    const native = service.frontendSession(session);
    expect(await adapted['echo']?.({}, native)).toEqual({ route: 'connector.entry.echo', id: session.id });
    // next(err, resp) without an errorHandler answers resp with code 500, as Pomelo's connector does
    expect(await adapted['fail']?.({}, native)).toEqual({ code: 500, reason: 'bad' });
  });

  it('adapts Pomelo filters: before may refuse or answer, after sees the outcome', async () => {
    const { session, service } = frontend();
    const seen: unknown[] = [];
    const before = adaptBefore(
      {
        before(msg: JsonObject, _session: unknown, next: (error?: unknown, response?: JsonObject) => void) {
          if (msg['refuse']) next(new Error('refused'));
          else if (msg['answer']) next(null, { answered: true });
          else next();
        },
      },
      noReport,
    );
    const native = service.frontendSession(session);
    const next = async (): Promise<JsonObject | undefined> => ({ handler: true });
    expect(await before.wrap?.({}, native, context(), next)).toEqual({ handler: true });
    expect(await before.wrap?.({ answer: true }, native, context(), next)).toEqual({ answered: true });
    await expect(before.wrap?.({ refuse: true }, native, context(), next)).rejects.toThrow('refused');
    const after = adaptAfter(
      {
        after(error: unknown, msg: JsonObject, _session: unknown, response: unknown, done: () => void) {
          seen.push(error, msg['__route__'], response);
          done();
        },
      },
      noReport,
    );
    await after.after?.(null, {}, native, { ok: true }, context());
    expect(seen).toEqual([null, 'chat.chatHandler.send', { ok: true }]);
  });

  it('runs error handlers with and without opts', async () => {
    const { session, service } = frontend();
    const native = service.frontendSession(session);
    const five = adaptErrorHandler(
      ((
        error: Error,
        _msg: unknown,
        _resp: unknown,
        _session: unknown,
        next: (e: unknown, r: JsonObject) => void,
      ) => next(null, { code: 501, error: error.message })) as never,
      noReport,
    );
    expect(await five(new Error('x'), {}, native, context())).toEqual({ code: 501, error: 'x' });
    const six = adaptErrorHandler(
      ((
        _e: unknown,
        _m: unknown,
        _r: unknown,
        _s: unknown,
        opts: object,
        next: (e: unknown, r?: JsonObject) => void,
      ) => next(null, { opts: typeof opts })) as never,
      noReport,
    );
    expect(await six(new Error('x'), {}, native, context())).toEqual({ opts: 'object' });
  });

  it('drives start(cb)/stop(force, cb) components, and ones that return', async () => {
    const steps: string[] = [];
    const component = adaptComponent('c', {
      start(cb) {
        setTimeout(() => {
          steps.push('start');
          cb();
        }, 5);
      },
      afterStart(cb) {
        steps.push('afterStart');
        cb(new Error('after failed'));
      },
      afterStartAll() {
        steps.push('afterStartAll');
      },
      stop(force, cb) {
        steps.push(`stop ${force}`);
        cb();
      },
    });
    await component.start?.();
    await expect(component.afterStart?.()).rejects.toThrow('after failed');
    await component.afterStartAll?.();
    await component.stop?.(true);
    expect(steps).toEqual(['start', 'afterStart', 'afterStartAll', 'stop true']);
  });
});

describe('Pomelo sessions and channels', () => {
  it('getByUid answers undefined for none; sessions bind and push with callbacks; closed gives a session', async () => {
    const { pomelo: sessions, service, session } = frontend();
    expect(sessions.getByUid('ann')).toBeUndefined();
    const wrapped = new PomeloSession(service.frontendSession(session), noReport);
    await new Promise<void>((resolve, reject) =>
      wrapped.bind('ann', (error) => (error ? reject(error) : resolve())),
    );
    expect(sessions.getByUid('ann')?.map((each) => each.uid)).toEqual(['ann']);
    wrapped.set('rid', 'room');
    await new Promise<void>((resolve) => wrapped.push('rid', () => resolve()));
    expect(sessions.get(session.id)?.get('rid')).toBe('room');
    const closed = new Promise<[PomeloSession, string]>((resolve) =>
      wrapped.on('closed', (closedSession, reason) =>
        resolve([closedSession as PomeloSession, reason as string]),
      ),
    );
    sessions.kick('ann', 'bye');
    const [closedSession, reason] = await closed;
    expect(reason).toBe('bye');
    expect(closedSession.uid).toBe('ann');
    expect(closedSession.get('rid')).toBe('room');
    // a second bind of the closed session fails through its callback
    const failure = await new Promise<unknown>((resolve) => closedSession.bind('bob', resolve));
    expect(failure).toBeInstanceOf(Error);
  });

  it('channels give sid in getMember and take the route inside the message', async () => {
    const native = new ChannelService({
      serverId: 'chat-1',
      membership: new LocalMembership(),
      rpcClient: () => {
        throw new Error('no rpc in this test');
      },
    });
    const { PomeloChannelService } = pomelo;
    const channels = new PomeloChannelService(() => native, noReport);
    const room = channels.createChannel('room');
    expect(channels.getChannel('room')).toBe(room);
    expect(channels.getChannel('none')).toBeUndefined();
    room.add('ann', 'connector-1');
    expect(room.getMember('ann')).toEqual({ uid: 'ann', sid: 'connector-1', frontendId: 'connector-1' });
    // no frontend is reachable here: the push answers the uids that got nothing, through the callback
    const failed = await new Promise<unknown[]>((resolve) =>
      room.pushMessage({ route: 'onChat', text: 'hi' }, (error: unknown, fails: unknown) =>
        resolve([error, fails]),
      ),
    );
    expect(failed[0]).toBeNull();
    expect(failed[1]).toEqual(['ann']);
    const refused = await new Promise<unknown>((resolve) => room.pushMessage({ text: 'no route' }, resolve));
    expect(String(refused)).toMatch(/needs a route/);
  });
});

describe('connectorConfig translation', () => {
  it('keeps the keys Shaddock has, names the schedulers, and says what it drops', () => {
    const notices: string[] = [];
    const translated = translateConnectorConfig(
      {
        connector: pomelo.connectors.sioconnector,
        heartbeat: 3,
        useDict: true,
        disconnectOnTimeout: true,
        blacklistFun: () => {},
      },
      { scheduler: pomelo.pushSchedulers.buffer, flushInterval: 20 },
      (item) => notices.push(item),
    );
    expect(translated).toEqual({
      heartbeat: 3,
      useDict: true,
      pushScheduler: { type: 'buffer', flushMs: 20 },
    });
    expect(notices).toEqual([
      'connectorConfig.connector',
      'connectorConfig.disconnectOnTimeout',
      'connectorConfig.blacklistFun',
    ]);
    expect(
      translateConnectorConfig({ connector: pomelo.connectors.hybridconnector }, undefined, (item) =>
        notices.push(item),
      ),
    ).toEqual({});
    expect(notices).toHaveLength(3);
  });
});
