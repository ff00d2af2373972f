const logger = require('pomelo-logger').getLogger('chat-cron', __filename);

module.exports = (app) => new RoomCron(app);

function RoomCron(app) {
  this.app = app;
  this.reports = 0;
}

/** Says that this chat server is alive, every few seconds (config/crons.json runs it). */
RoomCron.prototype.report = function () {
  this.reports += 1;
  logger.info('room report %d from %s', this.reports, this.app.get('serverId'));
};
