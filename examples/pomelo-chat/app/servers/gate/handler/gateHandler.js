const dispatcher = require('../../../util/dispatcher');

module.exports = (app) => new GateHandler(app);

function GateHandler(app) {
  this.app = app;
}

/**
 * Tells a client which connector to use: one chosen by its user name, so a user lands on the same
 * connector each time.
 */
GateHandler.prototype.queryEntry = function (msg, _session, next) {
  const uid = msg?.uid;
  if (!uid) {
    next(null, { code: 500, error: 'a uid is needed' });
    return;
  }
  const connectors = this.app.getServersByType('connector');
  if (!connectors || connectors.length === 0) {
    next(null, { code: 500, error: 'no connector is running' });
    return;
  }
  const connector = dispatcher.dispatch(uid, connectors);
  next(null, { code: 200, host: connector.clientHost || connector.host, port: connector.clientPort });
};
