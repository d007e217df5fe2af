/**
 * Routing that learns, end to end over real sockets: the official openai client → the local
 * server → mock upstreams on 127.0.0.1 that fail on demand, with DynamoDB Local. A cheapest offer
 * that keeps failing is skipped once its breaker opens, probed back, and trusted again after it
 * recovers; a provider's 429 with Retry-After benches its offer and is passed on. Metering is
 * unchanged: one record per request, failed attempts never billed.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { threeProviderConfig } from '../helpers/config';
import { startTestRouter, type TestRouter } from '../helpers/local-router';
import { type MockUpstream, startOpenAIUpstream } from '../helpers/openai-upstream';
import { usageEvents } from '../helpers/usage-records';

let router: TestRouter;
let up: { cheap: MockUpstream; mid: MockUpstream; dear: MockUpstream };
let client: OpenAI;
const account = 'acct-health';
const messages = [{ role: 'user' as const, content: `Say something. ${'padding '.repeat(200)}` }];
const ask = (extra: Record<string, unknown> = {}) =>
  client.chat.completions.create({ model: 'acme/llama-test', messages, ...extra }).withResponse();

/** Milliseconds one request takes, and who served it. */
async function timed(extra: Record<string, unknown> = {}): Promise<{ ms: number; provider: string | null; attempts: string | null }> {
  const t0 = performance.now();
  const { response } = await ask(extra);
  return { ms: performance.now() - t0, provider: response.headers.get('x-ctr-provider'), attempts: response.headers.get('x-ctr-attempts') };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const usageRecords = () => usageEvents(router, account);

beforeAll(async () => {
  up = { cheap: await startOpenAIUpstream('cheap'), mid: await startOpenAIUpstream('mid'), dear: await startOpenAIUpstream('dear') };
  up.cheap.usage = up.mid.usage = up.dear.usage = { prompt: 300, completion: 20, cached: 0 };
  // A short first cool-down and frequent sharing keep the test quick; the defaults are in the config schema.
  const health = { enabled: true, baseCooldownMs: 2_000, probeShare: 0.1, syncMs: 200 };
  router = await startTestRouter(threeProviderConfig({ cheap: up.cheap.url, mid: up.mid.url, dear: up.dear.url }, health), {
    CHEAP_KEY: 'k1',
    MID_KEY: 'k2',
    DEAR_KEY: 'k3',
  });
  client = router.client(await router.createKey(account));
});

afterAll(async () => {
  await router?.stop();
  await Promise.all(Object.values(up ?? {}).map((u) => u.close()));
});

describe('offer health', () => {
  it('skips a cheapest offer that fails every time once its breaker opens, then trusts it again after it recovers', async () => {
    // The cheapest offer fails slowly (as a dying host does): before the breaker opens, every request waits for it.
    up.cheap.mode = { kind: 'status', status: 500, delayMs: 150 };
    const before: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await timed();
      expect(r).toMatchObject({ provider: 'mid', attempts: '2' });
      before.push(r.ms);
    }
    expect(up.cheap.requests).toHaveLength(3);

    // Breaker open: 50 requests, interleaved with 50 on a route whose first offer is healthy (mid pinned first).
    const failing = up.cheap.requests.length;
    const open: number[] = [];
    const healthy: number[] = [];
    for (let i = 0; i < 50; i++) {
      const r = await timed();
      expect(r.provider).toBe('mid');
      open.push(r.ms);
      healthy.push((await timed({ provider: { order: ['mid'] } })).ms);
    }
    // At most a handful of half-open probes reached the failing offer.
    expect(up.cheap.requests.length - failing).toBeLessThanOrEqual(5);
    // Once open, the failing offer (150 ms per failed attempt) is not waited on: the route costs about
    // what a healthy one does. Bounded by a margin well under one failed attempt, not by a ratio, so
    // a loaded machine's jitter does not decide it (speed itself is measured in npm run bench).
    expect(median(open)).toBeLessThanOrEqual(median(healthy) + 75);
    expect(median(before)).toBeGreaterThan(median(open) + 100);

    const models = (await (await fetch(`${router.baseUrl}/models/acme%2Fllama-test`)).json()) as {
      offers: Array<{ provider: string; health: { state: string } }>;
    };
    expect(models.offers.find((o) => o.provider === 'cheap')!.health.state).toMatch(/benched|degraded/);
    expect(models.offers.find((o) => o.provider === 'mid')!.health).toMatchObject({ state: 'ok' });

    // It recovers: within the cool-down and a few probes, the cheapest offer serves again, and then keeps serving.
    up.cheap.mode = { kind: 'ok' };
    await vi.waitFor(
      async () => {
        expect((await timed()).provider).toBe('cheap');
      },
      { timeout: 20_000, interval: 50 },
    );
    for (let i = 0; i < 5; i++) expect((await timed()).provider).toBe('cheap');

    // Metering unchanged: one record per request, each billed to the offer that answered, failed attempts never billed.
    await vi.waitFor(async () => expect((await usageRecords()).length).toBeGreaterThanOrEqual(103 + 6), { timeout: 10_000 });
    const records = await usageRecords();
    expect(new Set(records.map((r) => r.requestId)).size).toBe(records.length);
    expect(records.every((r) => r.status === 'ok' && r.provider !== undefined && r.costNanoUsd > 0)).toBe(true);
    expect(records.filter((r) => r.provider === 'cheap').every((r) => r.attempts === 1)).toBe(true);
  });

  it('honours a provider 429 Retry-After: the offer is benched that long, and the hint is passed on', async () => {
    up.cheap.mode = {
      kind: 'status',
      status: 429,
      headers: { 'retry-after': '30' },
      body: { error: { message: 'slow down', type: 'rate_limit', param: null, code: 'rate_limited' } },
    };
    const only = { provider: { only: ['cheap'] } };
    // The only offer answers 429: the client gets 429 with the provider's Retry-After, not 502.
    const err = await ask(only).catch((e: unknown) => e as InstanceType<typeof OpenAI.APIError>);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(429);
    expect(Number((err as InstanceType<typeof OpenAI.APIError>).headers?.get('retry-after'))).toBe(30);
    const calls = up.cheap.requests.length;

    // Benched: not called again while the wait runs; the client is told how long is left.
    const again = (await ask(only).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(again.status).toBe(429);
    expect(Number(again.headers?.get('retry-after'))).toBeGreaterThan(25);
    expect(up.cheap.requests.length).toBe(calls);

    // Other routes leave it out and go to the next offer directly.
    const r = await timed();
    expect(r).toMatchObject({ provider: 'mid', attempts: '1' });
    expect(up.cheap.requests.length).toBe(calls);
  });
});
