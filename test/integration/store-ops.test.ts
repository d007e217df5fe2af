/**
 * Store round trips per request, counted over real sockets (the official `openai` client and
 * fetch against the local router on DynamoDB Local): before the first byte and after it, with
 * leases and with the per-request reservations they replaced. The counts are the ones
 * `lambdas/core/store-ops.ts` publishes (README, `npm run cost`). Also: every served response
 * carries `Server-Timing` (auth, plan, store, upstream).
 */
import { ServerResponse } from 'node:http';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { STORE_OPS_PER_REQUEST } from '../../lambdas/core/store-ops';
import { threeProviderConfig } from '../helpers/config';
import { startTestRouter, type TestRouter } from '../helpers/local-router';
import { type MockUpstream, startOpenAIUpstream } from '../helpers/openai-upstream';

let router: TestRouter;
let up: MockUpstream;
const calls: Array<{ name: string; at: number }> = [];
/** When the router last wrote a response's status and headers (its first byte), in this process. */
let firstByteAt = 0;
const writeHead = ServerResponse.prototype.writeHead;

const body = JSON.stringify({ model: 'acme/llama-test', messages: [{ role: 'user', content: 'Hi there.' }], max_tokens: 20 });

beforeAll(async () => {
  ServerResponse.prototype.writeHead = function (this: ServerResponse, ...args: unknown[]) {
    firstByteAt = performance.now();
    return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
  } as typeof writeHead;
  up = await startOpenAIUpstream('cheap');
  up.usage = { prompt: 8, completion: 20, cached: 0 };
  // As in Lambda (the counts model a function): each request writes its own metering, no linger shared with others.
  router = await startTestRouter(threeProviderConfig({ cheap: up.url, mid: up.url, dear: up.url }), {
    CHEAP_KEY: 'k',
    CTR_METERING_LINGER_MS: '0',
  });
  // Every repository of the runtime shares one client (the home region's is the same locally): count its calls.
  const db = (router.stack.runtime.usage as unknown as { db: DynamoDBDocumentClient }).db;
  db.middlewareStack.add(
    (next, context) => async (args) => {
      calls.push({ name: String(context.commandName), at: performance.now() });
      return next(args);
    },
    { step: 'initialize', name: 'countStoreCalls' },
  );
});

afterAll(async () => {
  ServerResponse.prototype.writeHead = writeHead;
  await router?.stop();
  await up?.close();
});

/** Sends one buffered request; returns the store calls made before its headers arrived and in all (once metering is done). */
async function oneRequest(key: string): Promise<{ before: string[]; total: string[]; timing: string | null }> {
  const start = calls.length;
  const res = await fetch(`${router.baseUrl}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body,
  });
  const headersAt = firstByteAt;
  expect(res.status).toBe(200);
  await res.text();
  // Metering runs after the last byte; wait (bounded) until the store is quiet.
  let seen = -1;
  await vi.waitFor(
    async () => {
      const now = calls.length;
      const quiet = now === seen;
      seen = now;
      expect(quiet).toBe(true);
    },
    { timeout: 15_000, interval: 400 },
  );
  const mine = calls.slice(start);
  return {
    before: mine.filter((c) => c.at < headersAt).map((c) => c.name),
    total: mine.map((c) => c.name),
    timing: res.headers.get('server-timing'),
  };
}

/** The counts as store-ops.ts states them: calls before the first byte, then writes and reads after it. */
const perRequest = (r: { before: string[]; total: string[] }) => {
  const after = r.total.slice(r.before.length);
  return { beforeFirstByte: r.before.length, afterWrites: writes(after), afterReads: reads(after) };
};

const writes = (names: string[]) => names.filter((n) => /Update|Put|Delete|TransactWrite|BatchWrite/.test(n)).length;
const reads = (names: string[]) => names.length - writes(names);

describe('store round trips per request', () => {
  it('with leases: none before the first byte on a warm key with limits; the counts README and `npm run cost` use', async () => {
    await router.accounts.createAccount({ accountId: 'acct-ops', limits: { monthlyBudgetUsd: 50, rpm: 6000 } });
    const key = await router.createKey('acct-ops', { limits: { dailyBudgetUsd: 5, rpm: 3000 } });
    let minute = Math.floor(Date.now() / 60_000);
    const cold = await oneRequest(key);
    // The first request takes the slices it needs (one write per counter, in parallel) after authenticating.
    expect(writes(cold.before)).toBeLessThanOrEqual(4);
    const warm = [];
    // A new minute starts new rate windows: the first request in it refills their slices (one write
    // per window, in parallel). Every other warm request makes no store call before its first byte.
    // A request that started in another minute than the previous one, or ended in a later minute than
    // it started, may be that first one (a request reserves right after it starts). The first warm
    // request compares with the cold one's start: on a loaded machine the cold request may end in a
    // later minute than it started.
    for (let i = 0; i < 8; i++) {
      const started = Math.floor(Date.now() / 60_000);
      const r = await oneRequest(key);
      const ended = Math.floor(Date.now() / 60_000);
      if ((started !== minute || ended !== started) && r.before.length)
        expect(r.before).toEqual(['UpdateItemCommand', 'UpdateItemCommand']);
      else warm.push(r);
      minute = started;
    }
    expect(warm.length).toBeGreaterThanOrEqual(7);
    for (const w of warm) expect(w.before).toEqual([]);
    const last = warm.at(-1)!;
    expect(perRequest(last)).toEqual(STORE_OPS_PER_REQUEST.leases);
  });

  it('with per-request reservations (before leases): several writes before the first byte', async () => {
    const rt = router.stack.runtime;
    await router.accounts.createAccount({ accountId: 'acct-ops-old', limits: { monthlyBudgetUsd: 50, rpm: 6000 } });
    const key = await router.createKey('acct-ops-old', { limits: { dailyBudgetUsd: 5, rpm: 3000 } });
    const leases = rt.chat.limits;
    rt.chat.limits = rt.limits;
    try {
      await oneRequest(key);
      const last = await oneRequest(key);
      expect(perRequest(last)).toEqual(STORE_OPS_PER_REQUEST.reservations);
    } finally {
      rt.chat.limits = leases;
    }
  });

  it('every served response carries Server-Timing: auth, plan, store, upstream (buffered and streamed)', async () => {
    await router.accounts.createAccount({ accountId: 'acct-timing', limits: { monthlyBudgetUsd: 5 } });
    const key = await router.createKey('acct-timing');
    const { timing } = await oneRequest(key);
    expect(timing).toMatch(/^auth;dur=\d+\.\d, plan;dur=\d+\.\d, store;dur=\d+\.\d, upstream;dur=\d+\.\d$/);
    const { response } = await router
      .client(key)
      .chat.completions.create({ model: 'acme/llama-test', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 5, stream: true })
      .withResponse();
    expect(response.headers.get('server-timing')).toMatch(/auth;dur=.*plan;dur=.*store;dur=.*upstream;dur=/);
    const embed = await fetch(`${router.baseUrl}/embeddings`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'mock/embed-small', input: 'hello' }),
    });
    expect(embed.headers.get('server-timing')).toMatch(/auth;dur=.*plan;dur=.*store;dur=.*upstream;dur=/);
    await embed.text();
  });
});
