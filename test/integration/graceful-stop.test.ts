/**
 * Stopping like a server that keeps money: a stopping local server takes no new request, lets a
 * stream in flight finish within its stop window (CTR_STOP_WINDOW_MS) and meters it exactly once;
 * a stream still open past the window ends with the explicit error event, and is metered once too.
 * Then the same with `npm start`'s entry as a process and SIGTERM, its record read back after a restart.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../lambdas/local/dynamodb-local';
import { spawnNode, type WatchedChild } from '../helpers/child-output';
import { threeProviderConfig } from '../helpers/config';
import { startTestRouter } from '../helpers/local-router';
import { type MockUpstream, startOpenAIUpstream } from '../helpers/openai-upstream';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const KEYS = { CHEAP_KEY: 'k1', MID_KEY: 'k2', DEAR_KEY: 'k3' };
let up: MockUpstream;

beforeAll(async () => {
  up = await startOpenAIUpstream('cheap');
});
afterAll(async () => {
  await up?.close();
});

/** Reads a stream to its end: the content pieces, and how it ended (`done`, or the error's message). */
async function readStream(client: OpenAI, onFirst: () => void): Promise<{ pieces: number; ended: string }> {
  let pieces = 0;
  try {
    const stream = await client.chat.completions.create({
      model: 'acme/llama-test',
      messages: [{ role: 'user', content: 'count' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    for await (const c of stream)
      if (c.choices[0]?.delta.content) {
        if (++pieces === 1) onFirst();
      }
    return { pieces, ended: 'done' };
  } catch (err) {
    return { pieces, ended: (err as Error).message };
  }
}

describe('a stopping local server', () => {
  it('finishes a stream in flight within its stop window, refuses new connections, and meters the stream once', async () => {
    // Prepare: 15 pieces 100 ms apart (1.5 s), a 10 s window.
    up.mode = { kind: 'slow', pieces: 15, pieceMs: 100 };
    const router = await startTestRouter(threeProviderConfig({ cheap: up.url, mid: up.url, dear: up.url }), {
      ...KEYS,
      CTR_STOP_WINDOW_MS: '10000',
    });
    try {
      const key = await router.createKey('stopping');
      let closing: Promise<void> | undefined;
      // Act: the server is told to stop once the first piece arrived.
      const read = readStream(router.client(key), () => {
        closing = router.stack.server.close();
      });
      const result = await read;
      const refused = await fetch(`${router.baseUrl}/models`).then(
        () => 'answered',
        () => 'refused',
      );
      await closing;
      // Assess
      expect(result).toEqual({ pieces: 15, ended: 'done' });
      expect(refused).toBe('refused');
      const events = await router.stack.runtime.usage.events('stopping');
      expect(events.map((e) => e.status)).toEqual(['ok']);
    } finally {
      await router.stop();
    }
  }, 60_000);

  it('ends a stream still open past the window with the error event, and meters it once', async () => {
    up.mode = { kind: 'slow', pieces: 100, pieceMs: 100 };
    const router = await startTestRouter(threeProviderConfig({ cheap: up.url, mid: up.url, dear: up.url }), {
      ...KEYS,
      CTR_STOP_WINDOW_MS: '500',
    });
    try {
      const key = await router.createKey('cut');
      let closing: Promise<void> | undefined;
      const started = Date.now();
      const result = await readStream(router.client(key), () => {
        closing = router.stack.server.close();
      });
      await closing;
      expect(result.pieces).toBeGreaterThan(0);
      expect(result.pieces).toBeLessThan(100);
      expect(result.ended).not.toBe('done');
      expect(Date.now() - started).toBeLessThan(8_000);
      const events = await router.stack.runtime.usage.events('cut');
      expect(events).toHaveLength(1);
      expect(events[0]!.completionTokens).toBeGreaterThan(0);
    } finally {
      await router.stop();
    }
  }, 60_000);
});

describe('npm start and SIGTERM', () => {
  let dir: string;
  let server: WatchedChild | undefined;
  const start = async (port: number, dynamoPort: number) => {
    const child = spawnNode(
      ['--import', pathToFileURL(join(REPO, 'node_modules/tsx/dist/loader.mjs')).href, join(REPO, 'lambdas/local/main.ts')],
      {
        cwd: dir,
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          PORT: String(port),
          CTR_DYNAMODB_PORT: String(dynamoPort),
          CTR_CONFIG: join(dir, 'config.json'),
          CTR_STOP_WINDOW_MS: '10000',
          ...KEYS,
        },
      },
    );
    const url = (await child.waitForStdout(/running on (http:\/\/127\.0\.0\.1:\d+\/v1)/, 90_000))[1]!;
    return { child, url };
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ctr-stop-'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify(threeProviderConfig({ cheap: up.url, mid: up.url, dear: up.url })));
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('completes a stream in flight at SIGTERM, exits 0, and its usage record is there after a restart, once', async () => {
    // Prepare
    up.mode = { kind: 'slow', pieces: 20, pieceMs: 100 };
    const [port, dynamoPort] = [await freePort(), await freePort()];
    const first = await start(port, dynamoPort);
    server = first.child;
    const admin = first.url.replace(/\/v1$/, '/admin');
    await fetch(`${admin}/accounts`, { method: 'POST', body: JSON.stringify({ accountId: 'sigterm' }) });
    const { key } = (await (await fetch(`${admin}/accounts/sigterm/keys`, { method: 'POST', body: '{}' })).json()) as { key: string };
    // Act: SIGTERM once the first piece arrived.
    const result = await readStream(new OpenAI({ baseURL: first.url, apiKey: key, maxRetries: 0, timeout: 30_000 }), () => {
      first.child.child.kill('SIGTERM');
    });
    const code = await first.child.exited(30_000);
    // Assess: the stream completed and the process exited cleanly; the record is in the store it left.
    expect(result).toEqual({ pieces: 20, ended: 'done' });
    expect(code).toBe(0);
    server = (await start(port, dynamoPort)).child;
    const usage = (await (await fetch(`${admin}/accounts/sigterm/usage?by=day`)).json()) as { data: Array<{ requests: number }> };
    expect(usage.data.map((r) => r.requests)).toEqual([1]);
  }, 180_000);
});
