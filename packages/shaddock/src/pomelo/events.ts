/** `pomelo.events`: the names of Pomelo's application events (`app.event.on(name, …)`). */
export const events = {
  ADD_SERVERS: 'add_servers',
  REMOVE_SERVERS: 'remove_servers',
  REPLACE_SERVERS: 'replace_servers',
  BIND_SESSION: 'bind_session',
  UNBIND_SESSION: 'unbind_session',
  CLOSE_SESSION: 'close_session',
  ADD_CRONS: 'add_crons',
  REMOVE_CRONS: 'remove_crons',
  START_SERVER: 'start_server',
  START_ALL: 'start_all',
} as const;
