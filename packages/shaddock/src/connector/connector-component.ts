import { ErrorCode, ShaddockError } from '../errors.js';
import { collectHandlerRoutes } from '../handler/index.js';
import type { Component, Kernel } from '../kernel/index.js';
import { type Connector, ConnectorServer } from './connector.js';
import { type ConnectorConfig, resolveConnectorConfig } from './connector-config.js';
import { loadFrontendCodec } from './frontend-codec.js';

declare module '../kernel/index.js' {
  interface Services {
    /** The frontend's hybrid connector: pushes, blacklist (frontends only). */
    connector: Connector;
  }
}

/**
 * The connector component (frontends only): WebSocket and TCP clients on the server's
 * `clientPort`, with the options of the `connectorConfig` setting (read at start). `start` builds
 * the route dictionary and protos and listens; `drain` stops accepting clients and requests
 * (answered `ResponseCode.ServerStopping`), waits for the messages in the handlers up to the
 * stop's deadline, then kicks every client with `'server stopping'`; `stop` closes.
 * The `connector` service is there from construction; it uses the `sessionService` and
 * `handlers` services from its `start`.
 *
 * @example
 * app.set('connectorConfig', { heartbeat: 10, useDict: true });
 * if (app.isFrontend()) app.load(connectorComponent);
 */
export function connectorComponent(app: Kernel): Component {
  const current = app.getCurServer();
  if (!current.frontend) {
    throw new ShaddockError(
      ErrorCode.ConnectorConfigInvalid,
      `the connector runs on frontends only; server ${app.serverId} is not one`,
    );
  }
  const connector = new ConnectorServer();
  app.services.provide('connector', connector);
  return {
    name: 'connector',
    async start() {
      const port = current.clientPort;
      if (port === undefined) {
        throw new ShaddockError(
          ErrorCode.ConnectorConfigInvalid,
          `frontend ${app.serverId} has no clientPort`,
        );
      }
      const settings = resolveConnectorConfig(
        app.get<ConnectorConfig>('connectorConfig'),
        current['max-connections'],
      );
      const serverTypes = app.cluster.servers.map((server) => server.serverType);
      const codec = await loadFrontendCodec(
        {
          base: app.base,
          env: app.env,
          handlerRoutes: () => collectHandlerRoutes(app.appDir, serverTypes, app),
        },
        settings,
      );
      const services = {
        sessions: app.services.get('sessionService'),
        handlers: app.services.get('handlers'),
        logger: app.logger.child({ category: 'connector' }),
      };
      await connector.start(services, {
        settings,
        codec,
        port,
        host: settings.listenHost ?? current.clientHost ?? current.host,
      });
    },
    async drain(deadlineMs) {
      await connector.drain(deadlineMs);
    },
    stop: (force) => connector.stop(force),
  };
}
