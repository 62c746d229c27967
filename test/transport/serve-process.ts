/**
 * The browser host in a process of its own, as `continuo serve` runs it (without building the
 * renderer): prints {port, token} on one line, stops on SIGTERM. Data folder: argv[2].
 */
import { createServices } from '../../src/main/services';
import { startBrowserHost } from '../../src/main/transport/browser-host';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: serve-process.ts <data dir>');
const services = createServices({ dataDir });
const host = await startBrowserHost({ services, log: () => {} });
process.stdout.write(`${JSON.stringify({ port: host.port, token: host.token })}\n`);
process.once('SIGTERM', () => {
  void host
    .close()
    .then(() => services.close())
    .finally(() => process.exit(0));
});
