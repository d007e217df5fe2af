/** What `npm start` reads from its environment, checked with errors that name the variable. */
import { createServer } from 'node:net';

/** The port from `PORT` (default 8787), or an error that names `PORT`. */
export function portFromEnv(value: string | undefined): number {
  if (value === undefined || value === '') return 8787;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65_535) throw new Error(`PORT must be a port number from 0 to 65535, not "${value.slice(0, 20)}".`);
  return port;
}

/** Terminal output by default when stdout is a terminal; JSON lines when piped or asked (`CTR_LOG_FORMAT=json`). */
export function logFormat(env: NodeJS.ProcessEnv, isTTY: boolean): 'text' | 'json' {
  if (env.CTR_LOG_FORMAT === 'json' || env.CTR_LOG_FORMAT === 'text') return env.CTR_LOG_FORMAT;
  return isTTY ? 'text' : 'json';
}

/** Fails at once, naming PORT, when the port is taken (before DynamoDB Local is started for nothing). */
export function assertPortFree(port: number): Promise<void> {
  if (port === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (err: Error & { code?: string }) =>
      reject(
        err.code === 'EADDRINUSE' ? new Error(`Port ${port} is in use: stop what holds it, or set PORT (e.g. PORT=9000 npm start).`) : err,
      ),
    );
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
  });
}
