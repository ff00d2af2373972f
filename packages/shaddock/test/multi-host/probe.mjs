// Run inside a host's namespace: `node probe.mjs <host> <port> <expect-regex> [<send>] [<timeout-ms>]`.
// Connects over TCP, writes <send> (JSON-escaped, e.g. "PING\r\n") if given, and exits 0 once what
// came back matches <expect-regex>; 1 on an error, a close or the timeout (default 2000 ms),
// printing why.
import { connect } from 'node:net';

const [host = '', port = '0', expect = '', send, timeout = '2000'] = process.argv.slice(2);
const pattern = new RegExp(expect);
let received = '';
const fail = (why) => {
  process.stdout.write(`unreachable: ${why}\n`);
  process.exit(1);
};
const socket = connect({ host, port: Number(port) });
socket.setEncoding('utf8');
socket.on('connect', () => {
  if (send) socket.write(JSON.parse(`"${send}"`));
});
socket.on('data', (text) => {
  received += text;
  if (pattern.test(received)) {
    process.stdout.write(`reached: ${received.split('\n')[0]?.slice(0, 80)}\n`);
    process.exit(0);
  }
});
socket.on('error', (error) => fail(error.code ?? error.message));
socket.on('close', () => fail(`closed after ${JSON.stringify(received.slice(0, 80))}`));
setTimeout(() => fail(`no answer within ${timeout} ms`), Number(timeout)).unref();
