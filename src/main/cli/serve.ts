/** `lethe serve`: serves the window and the Lethe API to a browser over loopback HTTP. */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createBridge } from '../server.js';
import { defineCommand, numberOption, rendererDir, UsageError, withService, type OptionSpecs, type Output, type Values } from './command.js';

const HELP = `Usage: lethe serve [--port N] [--host ADDRESS]

Serves the window (build it first with npm run build) and the Lethe API over HTTP,
on 127.0.0.1 and a free port unless told otherwise. A random token is printed at
start and required on every request: open the printed URL in a browser.`;

const OPTIONS = {
  host: { type: 'string' },
  port: { type: 'string' },
} satisfies OptionSpecs;

type ServeValues = Values<typeof OPTIONS>;

async function handle(values: ServeValues, io: Output): Promise<number> {
  const host = values.host ?? '127.0.0.1';
  const port = numberOption(values, 'port') ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be an integer in [0, 65535], got ${port}`);
  if (!['127.0.0.1', 'localhost', '::1'].includes(host)) io.err(`warning: serving on ${host}, beyond this machine; anyone with the token can use it`);
  return withService(values, async (service) => {
    const token = randomBytes(24).toString('hex');
    const server = createBridge({ service, token, staticDir: rendererDir() });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, resolve);
    });
    const address = server.address() as AddressInfo;
    const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    const url = `http://${shown}:${address.port}/?token=${token}`;
    if (values.json) io.out(JSON.stringify({ url, token, port: address.port }));
    else io.out(`Lethe is serving at ${url}\n(token required on every request; Ctrl-C stops)`);
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        server.closeAllConnections();
        server.close(() => resolve());
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    return 0;
  });
}

export const serveCommand = defineCommand({
  name: 'serve',
  summary: 'serve the window and the API to a browser over loopback HTTP',
  help: HELP,
  options: OPTIONS,
  positionals: 0,
  run: handle,
});
