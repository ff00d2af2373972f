// The app's entry. `shaddock start` runs it as the master, which reads config/ and runs it again
// once per server (with `id=… serverType=…`); each server then loads its handlers and remotes from
// app/servers/<serverType>/. Compiled, it runs from dist/, where `npm run build` also copies config/.
import { createApp } from 'shaddock';

const app = await createApp();

// Configure per environment and server type here, for instance the connector's heartbeat:
app.configure('all', 'connector', (app) => {
  app.set('connectorConfig', { heartbeat: 10 });
});

await app.start();
