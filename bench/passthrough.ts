/**
 * The floor of a Node gateway: a bare HTTP passthrough on 127.0.0.1 that forwards each request to
 * the upstream with the HTTP client the router calls its upstreams with (lambdas/providers/transport.ts,
 * node:http with keep-alive) and pipes the response back — no auth, no routing, no store. What the
 * router adds beyond it is the router's own cost.
 */
import { createServer, type Server } from 'node:http';
import { upstreamPost } from '../lambdas/providers/transport';

export interface Passthrough {
  /** Base URL, `http://127.0.0.1:<port>/v1`. */
  url: string;
  close(): Promise<void>;
}

/** Starts a passthrough in front of `upstream` (an OpenAI base URL such as `http://127.0.0.1:1234/v1`). */
export async function startPassthrough(upstream: string): Promise<Passthrough> {
  const origin = new URL(upstream).origin;
  const server: Server = createServer(async (req, res) => {
    const gone = new AbortController();
    res.once('close', () => gone.abort());
    try {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const up = await upstreamPost(`${origin}${req.url}`, {
        method: 'POST',
        headers: { 'content-type': req.headers['content-type'] ?? 'application/json', authorization: req.headers.authorization ?? '' },
        body: Buffer.concat(chunks).toString('utf8'),
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
