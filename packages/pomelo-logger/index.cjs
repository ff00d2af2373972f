'use strict';
// pomelo-logger for Pomelo apps running on Shaddock: `require('pomelo-logger').getLogger(category,
// __filename)` answers a logger with pomelo-logger's shape that writes through Shaddock's one logger,
// where config/log4js.json (read by Shaddock at start-up) routes and filters its lines.
const shaddock = require('shaddock');

let restore;

module.exports = {
  getLogger: shaddock.getPomeloLogger,
  /** Shaddock reads config/log4js.json itself when the app starts; a call here changes nothing. */
  configure() {},
  replaceConsole() {
    restore ??= shaddock.replaceConsole();
  },
  restoreConsole() {
    restore?.();
    restore = undefined;
  },
};
