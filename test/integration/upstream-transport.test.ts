/**
 * The upstream HTTP client (lambdas/providers/transport.ts) against the mock OpenAI upstream over
 * real sockets on 127.0.0.1: connections are kept alive and reused (after a buffered answer, and
 * after a stream whose reader stopped at its last event), an unfinished body that is cancelled or
 * aborted closes its connection, and errors carry the system code the adapters report.
 */
import { execFileSync } from 'node:child_process';
import { createServer, type RequestListener, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { freePort } from '../../lambdas/local/dynamodb-local';
import { readBodyWithin } from '../../lambdas/providers/http';
import { readSse } from '../../lambdas/providers/sse';
import { upstreamPost } from '../../lambdas/providers/transport';
import { type MockUpstream, startOpenAIUpstream } from '../helpers/openai-upstream';

let up: MockUpstream;
beforeAll(async () => {
  up = await startOpenAIUpstream('transport');
});
afterAll(() => up.close());
beforeEach(() => {
  up.mode = { kind: 'ok' };
});

const post = (body: Record<string, unknown>, signal = new AbortController().signal) =>
  upstreamPost(`${up.url}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer k' },
    body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }], ...body }),
    signal,
  });

async function text(body: AsyncIterable<Uint8Array> | null): Promise<string> {
  const parts: Buffer[] = [];
  for await (const piece of body ?? []) parts.push(Buffer.from(piece));
  return Buffer.concat(parts).toString('utf8');
}

describe('upstreamPost', () => {
  it('reuses one kept-alive connection for buffered answers, and reads status, headers and body', async () => {
    const before = up.connections;
    for (let i = 0; i < 10; i++) {
      const res = await post({});
      expect(res.status).toBe(200);
      expect(res.ok).toBe(true);
      expect(res.headers.get('Content-Type')).toBe('application/json');
      expect(res.headers.get('x-absent')).toBeNull();
      expect(JSON.parse(await text(res.body)).object).toBe('chat.completion');
    }
    expect(up.connections - before).toBeLessThanOrEqual(1);
    expect(up.requests.at(-1)?.authorization).toBe('Bearer k');
  });

  it('keeps the connection of a stream whose reader stops at [DONE], before the body has ended', async () => {
    const before = up.connections;
    for (let i = 0; i < 10; i++) {
      const res = await post({ stream: true });
      let events = 0;
      for await (const ev of readSse(res.body!)) {
        events++;
        if (ev.data === '[DONE]') break;
      }
      expect(events).toBeGreaterThan(2);
    }
    expect(up.connections - before).toBeLessThanOrEqual(1);
  });

  it('closes the connection of a body cancelled before it has all arrived', async () => {
    up.mode = { kind: 'stall-after-role' };
    const abandoned = up.abandoned;
    const res = await post({ stream: true });
    const first = await res.body![Symbol.asyncIterator]().next();
    expect(Buffer.from(first.value!).toString('utf8')).toContain('"role":"assistant"');
    res.cancel?.();
    await vi.waitFor(() => expect(up.abandoned).toBe(abandoned + 1));
  });

  it('an abort before the headers rejects with the reason and closes the connection; after them, the body read fails', async () => {
    up.mode = { kind: 'hang' };
    const abandoned = up.abandoned;
    const requests = up.requests.length;
    const controller = new AbortController();
    const pending = post({}, controller.signal);
    await vi.waitFor(() => expect(up.requests.length).toBe(requests + 1));
    controller.abort(new Error('gave up'));
    await expect(pending).rejects.toThrow('gave up');
    await vi.waitFor(() => expect(up.abandoned).toBe(abandoned + 1));

    up.mode = { kind: 'stall-after-role' };
    const later = new AbortController();
    const res = await post({ stream: true }, later.signal);
    const reading = text(res.body);
    later.abort(new Error('silence bound'));
    await expect(reading).rejects.toThrow();
  });

  it('sends once more, on a new connection, a request whose kept-alive connection was reset before any answer', async () => {
    // A server that resets a connection at its second request: what a client meets when it reuses a
    // connection the server dropped while it sat idle (a Lambda instance thawing after a pause).
    let requests = 0;
    let connections = 0;
    const perSocket = new WeakMap<object, number>();
    const server = createServer((req, res) => {
      requests++;
      const seen = (perSocket.get(req.socket) ?? 0) + 1;
      perSocket.set(req.socket, seen);
      if (seen === 2) return void req.socket.destroy();
      req.resume();
      req.on('end', () => res.end('{"ok":true}'));
    });
    server.on('connection', () => connections++);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/v1/chat/completions`;
      const call = () => upstreamPost(url, { method: 'POST', headers: {}, body: '{}', signal: new AbortController().signal });
      expect(await text((await call()).body)).toBe('{"ok":true}');
      expect(await text((await call()).body)).toBe('{"ok":true}');
      expect({ requests, connections }).toEqual({ requests: 3, connections: 2 });
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it('speaks HTTPS with the certificate checked: one kept-alive connection, a name the certificate lacks refused', () => {
    // The child trusts the test certificate (NODE_EXTRA_CA_CERTS is read at process start only).
    const out = execFileSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '../helpers/tls-probe.ts')], {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: join(import.meta.dirname, '../fixtures/tls-127.0.0.1.cert.pem') },
      timeout: 30_000,
    });
    expect(JSON.parse(out.toString('utf8'))).toEqual({
      bodies: Array(3).fill('{"got":{"n":1}}'),
      connections: 1,
      mismatch: 'ERR_TLS_CERT_ALTNAME_INVALID',
    });
  });

  it('reads a body of many chunks whole, holding the sender back while no read waits', async () => {
    const size = 32 * 1024 * 1024;
    let written = () => 0;
    await withServer(
      (req, res) => {
        const socket = res.socket!;
        written = () => socket.bytesWritten;
        req.resume();
        res.writeHead(200, { 'content-length': String(size) });
        const piece = Buffer.alloc(64 * 1024, 'a');
        let sent = 0;
        const more = () => {
          while (sent < size) {
            sent += piece.length;
            if (!res.write(piece)) return void res.once('drain', more);
          }
          res.end();
        };
        more();
      },
      async (call) => {
        const res = await call();
        const bytes = res.body![Symbol.asyncIterator]();
        let got = (await bytes.next()).value!.byteLength;
        await new Promise((r) => setTimeout(r, 200));
        // Paused: what is sent stops at the socket buffers, far short of the body.
        expect(written()).toBeLessThan(size / 2);
        for (let next = await bytes.next(); !next.done; next = await bytes.next()) got += next.value.byteLength;
        expect(got).toBe(size);
      },
    );
  });

  it('keeps the connection of a body whose reader stops after it has all arrived, however many pieces wait unread', async () => {
    let connections = 0;
    let sent = 0;
    await withServer(
      (req, res) => {
        req.resume();
        req.on('end', async () => {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          // Separate HTTP chunks, each sent on its own, then the end.
          for (let i = 0; i < 20; i++) await new Promise<void>((r) => res.write(`data: ${i}\n\n`, () => setImmediate(r)));
          res.end(() => sent++);
        });
      },
      async (call, server) => {
        server.on('connection', () => connections++);
        for (let i = 0; i < 3; i++) {
          const res = await call();
          const bytes = res.body![Symbol.asyncIterator]();
          await bytes.next();
          // Everything arrives and waits, paused, in pieces; then the reader stops.
          await vi.waitFor(() => expect(sent).toBe(i + 1));
          await new Promise((r) => setTimeout(r, 50));
          await bytes.return?.();
          // The rest drains on the next turns; then the connection is back in the pool.
          await new Promise((r) => setTimeout(r, 50));
        }
        expect(connections).toBe(1);
      },
    );
  });

  it('bounds a body in size: over the limit it fails (or is cut, for error bodies) and its connection closes', async () => {
    let closed = 0;
    await withServer(
      (req, res) => {
        req.resume();
        res.socket?.once('close', () => closed++);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write(Buffer.alloc(4096, 'x'));
        // Never ends: only the size bound stops the read.
      },
      async (call) => {
        const ctx = { provider: { id: 'big', timeoutMs: 30_000 }, signal: new AbortController().signal } as never;
        await expect(readBodyWithin(ctx, await call(), { bytes: 1000, over: 'fail' })).rejects.toMatchObject({
          reason: 'protocol',
          message: 'big sent a response body over 1000 bytes',
        });
        expect(await readBodyWithin(ctx, await call(), { bytes: 10, over: 'truncate' })).toBe('xxxxxxxxxx');
        await vi.waitFor(() => expect(closed).toBe(2));
      },
    );
  });

  it('a connection closed in the middle of a body fails the read', async () => {
    await withServer(
      (req, res) => {
        req.resume();
        res.writeHead(200, { 'content-length': '100' });
        res.write('{"partial":', () => res.socket?.destroy());
      },
      async (call) => {
        const ctx = { provider: { id: 'cut', timeoutMs: 30_000 }, signal: new AbortController().signal } as never;
        await expect(readBodyWithin(ctx, await call())).rejects.toMatchObject({ reason: 'protocol' });
      },
    );
  });

  it('a refused connection fails with its system error code', async () => {
    const port = await freePort();
    await expect(
      upstreamPost(`http://127.0.0.1:${port}/v1/chat/completions`, {
        method: 'POST',
        headers: {},
        body: '{}',
        signal: new AbortController().signal,
      }),
    ).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});

/** Runs `body` against a one-off server on 127.0.0.1 with `handler`; `call` POSTs to it. */
async function withServer(
  handler: RequestListener,
  body: (call: () => ReturnType<typeof upstreamPost>, server: Server) => Promise<void>,
): Promise<void> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  try {
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/v1/x`;
    await body(() => upstreamPost(url, { method: 'POST', headers: {}, body: '{}', signal: new AbortController().signal }), server);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
}
