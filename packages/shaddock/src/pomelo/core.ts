import type { CronService } from '../cron/index.js';
import { ErrorCode, ShaddockError } from '../errors.js';
import { getLogger, type Logger } from '../logging/index.js';
import type { RpcAfterFilter, RpcBeforeFilter, RpcClient } from '../rpc/index.js';
import type { Application } from '../server/index.js';
import { adaptRpcFilter, type PomeloRpcFilter, type UnsupportedRpcFilter } from './routes.js';
import type { RpcHost } from './rpc.js';

/** What is replayed on the native application when `start` makes it. */
export type Setup = (native: Application) => void;

/** What `app.rpcFilter/rpcBefore/rpcAfter` take: Pomelo's filters, one or a list. */
export type RpcFilterArgument =
  | PomeloRpcFilter
  | UnsupportedRpcFilter
  | readonly (PomeloRpcFilter | UnsupportedRpcFilter)[];

/**
 * The state a Pomelo application shares with its helpers: the native application once started,
 * the setups kept until then, the compatibility notices and the one way errors are reported.
 */
export class PomeloCore {
  native: Application | undefined;
  logger: Logger | undefined;
  readonly #setups: Setup[] = [];
  readonly #notices = new Map<string, string>();
  /** The start-up notices were logged: later ones are logged at once. */
  #announced = false;

  readonly report = (error: unknown): void => {
    const logger = this.logger ?? getLogger('pomelo');
    logger.error({ err: error }, error instanceof Error ? error.message : String(error));
  };

  /** One start-up line per item (later ones at once), never repeated. */
  readonly notice = (item: string, message: string): void => {
    if (this.#notices.has(item)) return;
    this.#notices.set(item, message);
    if (this.#announced) this.logger?.warn(`pomelo compatibility: ${message}`);
  };

  unsupported(item: string, message: string): never {
    this.notice(item, message);
    throw new ShaddockError(ErrorCode.AppState, message);
  }

  /** Logs the notices kept so far; later ones are logged as they come. */
  announce(): void {
    for (const [, message] of this.#notices) this.logger?.warn(`pomelo compatibility: ${message}`);
    this.#announced = true;
  }

  setup(setup: Setup): void {
    if (this.native) setup(this.native);
    else this.#setups.push(setup);
  }

  replaySetups(native: Application): void {
    for (const setup of this.#setups) setup(native);
    this.#setups.length = 0;
  }

  rpcFilter(filter: RpcFilterArgument, side: 'before' | 'after'): void {
    for (const each of Array.isArray(filter) ? filter : [filter]) {
      if (typeof (each as Partial<UnsupportedRpcFilter>).unsupported === 'string') {
        const message = (each as UnsupportedRpcFilter).unsupported;
        this.notice(message, message);
        continue;
      }
      const adapted = adaptRpcFilter(each as PomeloRpcFilter, side);
      if (adapted === undefined) continue;
      if (side === 'before') this.setup((native) => native.rpcBefore(adapted as RpcBeforeFilter));
      else this.setup((native) => native.rpcAfter(adapted as RpcAfterFilter));
    }
  }

  service<Name extends 'sessionService' | 'backendSessionService' | 'channelService'>(
    name: Name,
  ): Application[Name] {
    if (this.native === undefined) {
      throw new ShaddockError(ErrorCode.AppState, `app.get('${name}') is there once app.start() runs`);
    }
    return this.native[name];
  }

  rpcHost(): RpcHost {
    const native = this.native;
    if (native === undefined)
      throw new ShaddockError(ErrorCode.AppState, 'RPC is there once app.start() runs');
    return {
      get rpcClient(): RpcClient {
        return native.rpcClient;
      },
      getServersByType: (serverType) => native.getServersByType(serverType),
      getServerById: (id) => native.getServerById(id),
      report: this.report,
    };
  }

  // Pomelo only logs a bad cron change (its cron component listens to an event), so this never throws.
  changeCrons(call: string, change: (service: CronService) => void): void {
    const service = this.native?.services.find('cronService');
    if (service === undefined) {
      this.report(
        new ShaddockError(
          ErrorCode.AppState,
          `app.${call} before app.start(): crons run once the server runs`,
        ),
      );
      return;
    }
    try {
      change(service);
    } catch (error) {
      this.report(error);
    }
  }
}
