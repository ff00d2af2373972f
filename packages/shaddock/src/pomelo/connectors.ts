/**
 * Pomelo's connector and push-scheduler constructors, as names: Shaddock has one connector (the
 * hybrid one: WebSocket and TCP on `clientPort`) and two push schedulers, chosen by name.
 */

/** A name standing for one of Pomelo's constructors; `connectorConfig` takes it as Pomelo does. */
export interface PomeloMarker {
  (): never;
  readonly pomeloName: string;
  readonly supported: boolean;
}

function marker(pomeloName: string, supported: boolean): PomeloMarker {
  const made = (() => {
    throw new Error(
      `pomelo.${pomeloName} is a name for connectorConfig, not something to call under Shaddock`,
    );
  }) as unknown as PomeloMarker;
  Object.defineProperties(made, {
    pomeloName: { value: pomeloName },
    supported: { value: supported },
  });
  return made;
}

/** `pomelo.connectors`: only `hybridconnector` runs; the others are reported at start-up. */
export const connectors = {
  hybridconnector: marker('connectors.hybridconnector', true),
  sioconnector: marker('connectors.sioconnector', false),
  udpconnector: marker('connectors.udpconnector', false),
  mqttconnector: marker('connectors.mqttconnector', false),
} as const;

/** `pomelo.pushSchedulers`. */
export const pushSchedulers = {
  direct: marker('pushSchedulers.direct', true),
  buffer: marker('pushSchedulers.buffer', true),
} as const;

/** Whether `value` is one of the markers above. */
export function isMarker(value: unknown): value is PomeloMarker {
  return typeof value === 'function' && typeof (value as Partial<PomeloMarker>).pomeloName === 'string';
}

/** The `connectorConfig` keys Shaddock reads under the same name and meaning. */
const NATIVE_KEYS = new Set([
  'heartbeat',
  'timeout',
  'useDict',
  'useProtobuf',
  'checkClient',
  'blacklist',
  'maxPackageSize',
  'handshakeTimeout',
  'dictionaryMode',
  'listenHost',
  'maxFrameSize',
  'rateLimit',
  'maxBufferedBytes',
  'maxPendingRequests',
  'realIpHeader',
  'maxConnectionsPerIp',
  'pushScheduler',
  'noDelay',
  'ssl',
]);

/** What Pomelo's keys become, or why they cannot. */
const POMELO_KEYS: Readonly<Record<string, string>> = {
  disconnectOnTimeout: 'Shaddock always disconnects a client whose heartbeat times out',
  setNoDelay: 'use noDelay (default true)',
  distinctHost: 'Shaddock listens on clientHost (or listenHost) as given',
  blacklistFun: 'use connectorConfig.blacklist: a list of IPs or RegExps',
  closeMethod: 'Shaddock closes sockets its own way',
  firstTimeout: 'use handshakeTimeout (seconds)',
  useHostFilter: 'not supported',
  handshake:
    "Pomelo's handshake(msg, cb) is not called; Shaddock's handshake hook is (request, connection) => user data",
};

/**
 * Translates Pomelo's `connectorConfig` (and `pushSchedulerConfig`) into Shaddock's: the
 * connector and scheduler constructors become names, keys it has are kept, every other key is
 * dropped with one notice saying so.
 */
export function translateConnectorConfig(
  config: Readonly<Record<string, unknown>> | undefined,
  pushSchedulerConfig: Readonly<Record<string, unknown>> | undefined,
  notice: (item: string, message: string) => void,
): Record<string, unknown> {
  const translated: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config ?? {})) {
    if (key === 'connector') {
      if (isMarker(value) && !value.supported) {
        notice(
          'connectorConfig.connector',
          `connectorConfig.connector: pomelo.${value.pomeloName} is not supported; clients connect to the hybrid connector (WebSocket and TCP on clientPort)`,
        );
      } else if (!isMarker(value)) {
        notice(
          'connectorConfig.connector',
          'connectorConfig.connector: a custom connector is not supported; the hybrid connector serves clients',
        );
      }
    } else if (key === 'ssl' && typeof value === 'object' && value !== null && !isFileTls(value)) {
      notice(
        'connectorConfig.ssl',
        'connectorConfig.ssl: give file paths ({ key, cert } as PEM file names), not file contents; TLS is off',
      );
    } else if (key === 'handshake' && typeof value === 'function' && value.length >= 2) {
      notice('connectorConfig.handshake', `connectorConfig.handshake ignored: ${POMELO_KEYS['handshake']}`);
    } else if (NATIVE_KEYS.has(key)) {
      translated[key] = value;
    } else {
      const why = POMELO_KEYS[key] ?? 'Shaddock has no such setting';
      notice(`connectorConfig.${key}`, `connectorConfig.${key} ignored: ${why}`);
    }
  }
  const scheduler = pushSchedulerConfig?.['scheduler'] ?? config?.['pushScheduler'];
  if (isMarker(scheduler)) {
    const flushMs = pushSchedulerConfig?.['flushInterval'];
    translated['pushScheduler'] =
      scheduler === pushSchedulers.buffer && typeof flushMs === 'number'
        ? { type: 'buffer', flushMs }
        : scheduler.pomeloName.split('.')[1];
  } else if (scheduler !== undefined && typeof scheduler !== 'string' && typeof scheduler !== 'object') {
    notice(
      'pushSchedulerConfig.scheduler',
      'pushSchedulerConfig.scheduler: a custom push scheduler is not supported; direct is used',
    );
    delete translated['pushScheduler'];
  }
  return translated;
}

function isFileTls(value: object): boolean {
  const { key, cert } = value as { key?: unknown; cert?: unknown };
  return typeof key === 'string' && typeof cert === 'string' && !key.includes('-----BEGIN');
}
