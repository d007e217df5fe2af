/**
 * The floor of a Node gateway: a bare HTTP passthrough on 127.0.0.1 that forwards each request to
 * the upstream with the HTTP client the router calls its upstreams with (lambdas/providers/transport.ts,
 * node:http with keep-alive) and pipes the response back — no auth, no routing, no store. What the
 * router adds beyond it is the router's own cost. A second one forwards with `fetch` instead.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { UpstreamFetch, UpstreamResponse } from '../lambdas/domain/upstream';
import { upstreamPost } from '../lambdas/providers/transport';

export interface Passthrough {
  /** Base URL, `http://127.0.0.1:<port>/v1`. */
  url: string;
  close(): Promise<void>;
}

/** The request body, read with `data` events as the router's local server reads it. */
function bodyOf(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.once('error', reject);
  });
}

/**
 * Starts a passthrough in front of `upstream` (an OpenAI base URL such as `http://127.0.0.1:1234/v1`).
 * It forwards with the router's client (node:http), or with Node's built-in `fetch`, the most common
 * way to write one (`client: 'fetch'`), for comparison.
 */
export async function startPassthrough(upstream: string, client: 'router' | 'fetch' = 'router'): Promise<Passthrough> {
  const origin = new URL(upstream).origin;
  // A fetch Response has the parts the router's client returns (status, headers.get, an async-iterable body).
  const post: UpstreamFetch = client === 'fetch' ? (url, init) => fetch(url, init) as Promise<UpstreamResponse> : upstreamPost;
  const server: Server = createServer(async (req, res) => {
    const gone = new AbortController();
    res.once('close', () => gone.abort());
    try {
      const up = await post(`${origin}${req.url}`, {
        method: 'POST',
        headers: { 'content-type': req.headers['content-type'] ?? 'application/json', authorization: req.headers.authorization ?? '' },
        body: await bodyOf(req),
        signal: gone.signal,
      });
      res.writeHead(up.status, { 'content-type': up.headers.get('content-type') ?? 'application/json' });
      if (up.body) for await (const piece of up.body) res.write(piece);
      res.end();
    } catch {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/v1`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
