const dispatcher = require('./dispatcher');

/**
 * The route function of the chat servers (`app.route('chat', …)`): a room lives on one chat
 * server, chosen by the room's name, so every member of a room talks to the same one.
 */
exports.chat = (session, _msg, app, cb) => {
  const chatServers = app.getServersByType('chat');
  if (!chatServers || chatServers.length === 0) {
    cb(new Error('no chat server is running'));
    return;
  }
  const server = dispatcher.dispatch(session.get('rid'), chatServers);
  cb(null, server.id);
};
