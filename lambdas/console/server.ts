/**
 * `ctr console`: a local web page for operators, served on 127.0.0.1 with the operator's own
 * credentials (the backend runs in this process) — no public admin surface. The page (assets/) calls
 * the JSON endpoints (api.ts); Chart.js is served from node_modules, so the page works offline.
 *
 * Guards: the server binds 127.0.0.1 only; every request must name this server in `Host` (no DNS
 * rebinding); every mutating request must come from this origin (`Origin`), carry the per-session token
 * the page was served with (`x-ctr-csrf`) and a JSON body. Nothing of a request or response is logged.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { handleApi, isApiPath } from './api';
import type { ConsoleBackend } from './backend';

const ASSETS = join(dirname(fileURLToPath(import.meta.url)), 'assets');
const MAX_BODY_BYTES = 64 * 1024;

/** Content Security Policy of every response: same-origin scripts, styles and fetches only. */
export const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const SECURITY_HEADERS = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

export interface ConsoleOptions {
  backend: ConsoleBackend;
  /** Default 0 (any free port). */
  port?: number;
  /** Shown in the page header: where the data comes from. */
  where?: string;
}

export interface ConsoleServer {
  server: Server;
  url: string;
  port: number;
  close(): Promise<void>;
}

function chartJsFile(): string {
  // chart.js exports only its module entry points (dist/chart.cjs); its UMD build sits beside them.
  return join(dirname(createRequire(import.meta.url).resolve('chart.js')), 'chart.umd.min.js');
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function sameToken(given: string | undefined, expected: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error('too large');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : {};
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type });
  res.end(body);
}

const refuse = (res: ServerResponse, status: number, message: string) =>
  send(res, status, 'application/json', JSON.stringify({ error: { message, type: 'invalid_request_error', code: 'console_refused' } }));

/**
 * Starts the console on 127.0.0.1.
 *
 * @example
 * const c = await startConsole({ backend: runtime.accounts, where: 'DynamoDB Local' });
 * console.log(c.url); // http://127.0.0.1:PORT/
 */
export async function startConsole(options: ConsoleOptions): Promise<ConsoleServer> {
  const token = randomBytes(32).toString('base64url');
  const page = readFileSync(join(ASSETS, 'index.html'), 'utf8');
  const assets: Record<string, readonly [type: string, body: Buffer]> = {
    '/assets/console.js': ['text/javascript; charset=utf-8', readFileSync(join(ASSETS, 'console.js'))],
    '/assets/console.css': ['text/css; charset=utf-8', readFileSync(join(ASSETS, 'console.css'))],
    '/assets/chart.umd.min.js': ['text/javascript; charset=utf-8', readFileSync(chartJsFile())],
  };
  let origin = '';
  let hosts: string[] = [];

  const server = createServer(async (req, res) => {
    try {
      // A page on another site that resolves its own name to 127.0.0.1 still sends its own Host.
      if (!hosts.includes(req.headers.host ?? '')) return refuse(res, 421, 'This console answers requests for its own address only.');
      const url = new URL(req.url ?? '/', origin);
      const method = req.method ?? 'GET';
      if (method === 'GET' && (url.pathname === '/' || url.pathname === '/index.html')) {
        const html = page.replace('{{CSRF}}', token).replace('{{WHERE}}', escapeHtml(options.where ?? 'local store'));
        return send(res, 200, 'text/html; charset=utf-8', html);
      }
      const asset = method === 'GET' ? assets[url.pathname] : undefined;
      if (asset) return send(res, 200, asset[0], asset[1]);
      if (!isApiPath(url.pathname)) return refuse(res, 404, 'Not found.');
      let body: unknown;
      if (method !== 'GET') {
        if (req.headers.origin !== `http://${req.headers.host}`) return refuse(res, 403, 'Cross-origin request refused.');
        if (!sameToken(req.headers['x-ctr-csrf'] as string | undefined, token)) return refuse(res, 403, 'Missing or wrong session token.');
        if (!(req.headers['content-type'] ?? '').startsWith('application/json')) return refuse(res, 415, 'Send JSON.');
        try {
          body = await readJson(req);
        } catch {
          return refuse(res, 400, 'The body is not JSON (or is too large).');
        }
      }
      const out = await handleApi(options.backend, method, url.pathname, url.searchParams, body);
      return send(res, out.status, 'application/json', out.body);
    } catch {
      if (!res.headersSent) refuse(res, 500, 'Internal error.');
      else res.end();
    }
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolveListen());
  });
  const port = (server.address() as { port: number }).port;
  origin = `http://127.0.0.1:${port}`;
  hosts = [`127.0.0.1:${port}`, `localhost:${port}`];
  return {
    server,
    port,
    url: `${origin}/`,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
