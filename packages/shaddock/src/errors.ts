/**
 * Every error code the framework raises, in one list (STYLE.md: one error list per package).
 * Each part of the framework adds its codes under its own heading; codes are never reused.
 */
export const ErrorCode = {
  // config/
  ConfigMissing: 'SHADDOCK_ERR_CONFIG_MISSING',
  ConfigInvalid: 'SHADDOCK_ERR_CONFIG_INVALID',
  ConfigUnknownEnv: 'SHADDOCK_ERR_CONFIG_UNKNOWN_ENV',
  // application/ and components/
  UnknownServer: 'SHADDOCK_ERR_APP_UNKNOWN_SERVER',
  ComponentFailed: 'SHADDOCK_ERR_APP_COMPONENT_FAILED',
  AppState: 'SHADDOCK_ERR_APP_STATE',
  // rpc/
  RemoteError: 'SHADDOCK_ERR_RPC_REMOTE',
  RpcTimeout: 'SHADDOCK_ERR_RPC_TIMEOUT',
  ServerUnavailable: 'SHADDOCK_ERR_RPC_SERVER_UNAVAILABLE',
  NoServerForRoute: 'SHADDOCK_ERR_RPC_NO_SERVER_FOR_ROUTE',
  UnknownRemote: 'SHADDOCK_ERR_RPC_UNKNOWN_REMOTE',
  RpcProtocol: 'SHADDOCK_ERR_RPC_PROTOCOL',
  RemoteInvalid: 'SHADDOCK_ERR_RPC_REMOTE_INVALID',
  // handler/
  UnknownRoute: 'SHADDOCK_ERR_HANDLER_UNKNOWN_ROUTE',
  HandlerInvalid: 'SHADDOCK_ERR_HANDLER_INVALID',
  HandlerFailed: 'SHADDOCK_ERR_HANDLER_FAILED',
  FilterNextTwice: 'SHADDOCK_ERR_HANDLER_NEXT_TWICE',
  RequestTimeout: 'SHADDOCK_ERR_HANDLER_TIMEOUT',
  ServerBusy: 'SHADDOCK_ERR_HANDLER_BUSY',
  ForwardFailed: 'SHADDOCK_ERR_HANDLER_FORWARD_FAILED',
  // connector/
  ConnectorConfigInvalid: 'SHADDOCK_ERR_CONNECTOR_CONFIG_INVALID',
  ConnectorListenFailed: 'SHADDOCK_ERR_CONNECTOR_LISTEN_FAILED',
  ConnectorNotStarted: 'SHADDOCK_ERR_CONNECTOR_NOT_STARTED',
  ConnectorEncodeFailed: 'SHADDOCK_ERR_CONNECTOR_ENCODE_FAILED',
  // channel/
  ChannelDestroyed: 'SHADDOCK_ERR_CHANNEL_DESTROYED',
  BroadcastFailed: 'SHADDOCK_ERR_CHANNEL_BROADCAST_FAILED',
  // session/
  SessionNotFound: 'SHADDOCK_ERR_SESSION_NOT_FOUND',
  SessionExists: 'SHADDOCK_ERR_SESSION_EXISTS',
  SessionAlreadyBound: 'SHADDOCK_ERR_SESSION_ALREADY_BOUND',
  SessionNotBound: 'SHADDOCK_ERR_SESSION_NOT_BOUND',
  SessionUidTaken: 'SHADDOCK_ERR_SESSION_UID_TAKEN',
  // master/, admin/, cli/
  AdminUnauthorized: 'SHADDOCK_ERR_ADMIN_UNAUTHORIZED',
  AdminCommandFailed: 'SHADDOCK_ERR_ADMIN_COMMAND_FAILED',
  StartupTimeout: 'SHADDOCK_ERR_MASTER_STARTUP_TIMEOUT',
  StartupFailed: 'SHADDOCK_ERR_MASTER_STARTUP_FAILED',
  MasterState: 'SHADDOCK_ERR_MASTER_STATE',
  MasterUnreachable: 'SHADDOCK_ERR_MASTER_UNREACHABLE',
  RegisterRefused: 'SHADDOCK_ERR_MASTER_REGISTER_REFUSED',
  ControlProtocol: 'SHADDOCK_ERR_MASTER_CONTROL_PROTOCOL',
  CliUsage: 'SHADDOCK_ERR_CLI_USAGE',
  InitPackages: 'SHADDOCK_ERR_CLI_INIT_PACKAGES',
  // handler/ and connector/: client input the frontend cannot take
  BodyNotForwardable: 'SHADDOCK_ERR_HANDLER_BODY_NOT_FORWARDABLE',
  // cron/
  CronInvalid: 'SHADDOCK_ERR_CRON_INVALID',
} as const;

/**
 * The numeric codes that reach clients in error response bodies (`{ code, message }`), Pomelo style.
 * One table for the whole frontend path.
 */
export const ResponseCode = {
  Ok: 200,
  BadRequest: 400,
  UnknownRoute: 404,
  RateLimited: 429,
  HandlerError: 500,
  ServerUnavailable: 502,
  Busy: 503,
  Timeout: 504,
} as const;

/** One of {@link ResponseCode}'s values. */
export type ResponseCode = (typeof ResponseCode)[keyof typeof ResponseCode];

/** One of {@link ErrorCode}'s values. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** The base of every error the framework raises; `cause` is kept. */
export class ShaddockError extends Error {
  override name = 'ShaddockError';
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/** Bad configuration: names the file and the field at fault. */
export class ConfigError extends ShaddockError {
  override name = 'ConfigError';
  readonly file: string;
  readonly field: string | undefined;

  constructor(
    code: ErrorCode,
    file: string,
    field: string | undefined,
    message: string,
    options?: ErrorOptions,
  ) {
    super(code, `${file}${field === undefined ? '' : ` (${field})`}: ${message}`, options);
    this.file = file;
    this.field = field;
  }
}

/** A remote threw: its message and code travelled back from the server that ran it. */
export class RemoteError extends ShaddockError {
  override name = 'RemoteError';
  /** The code the remote's error carried, if any (a string or a Pomelo-style number). */
  readonly remoteCode: string | number | undefined;
  readonly serverId: string;

  constructor(serverId: string, message: string, remoteCode: string | number | undefined) {
    super(ErrorCode.RemoteError, `remote on ${serverId} failed: ${message}`);
    this.serverId = serverId;
    this.remoteCode = remoteCode;
  }
}

/** An RPC passed its deadline. */
export class RpcTimeout extends ShaddockError {
  override name = 'RpcTimeout';
  constructor(serverId: string, route: string, timeout: number) {
    super(ErrorCode.RpcTimeout, `rpc ${route} to ${serverId} got no answer within ${timeout} ms`);
  }
}

/** The target server is not in membership, or its connection dropped with the call in flight. */
export class ServerUnavailable extends ShaddockError {
  override name = 'ServerUnavailable';
  readonly serverId: string;
  constructor(serverId: string, reason: string, options?: ErrorOptions) {
    super(ErrorCode.ServerUnavailable, `server ${serverId} is unavailable: ${reason}`, options);
    this.serverId = serverId;
  }
}

/** No server of the type could take the call (none running, or the route function chose none). */
export class NoServerForRoute extends ShaddockError {
  override name = 'NoServerForRoute';
  constructor(serverType: string, detail: string) {
    super(ErrorCode.NoServerForRoute, `no ${serverType} server for this call: ${detail}`);
  }
}

// handler/

/**
 * A request refused or failed on the frontend path: the client gets `{ code: responseCode, message }`.
 * Filters throw it to refuse a message with a chosen code.
 *
 * @example
 * throw new RequestError(ErrorCode.ServerBusy, ResponseCode.Busy, 'the server is too busy');
 */
export class RequestError extends ShaddockError {
  override name = 'RequestError';
  /** The numeric code the client sees (see {@link ResponseCode}, or an application's own). */
  readonly responseCode: number;

  constructor(code: ErrorCode, responseCode: number, message: string, options?: ErrorOptions) {
    super(code, message, options);
    this.responseCode = responseCode;
  }
}
