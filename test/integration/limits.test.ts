/**
 * Budgets and rate limits against DynamoDB Local over real sockets: concurrent requests cannot
 * overspend, windows refuse with 429 + Retry-After, crashed reservations expire, accounts are
 * isolated.
 */
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { EMBEDDING_INPUT_OVERHEAD } from '../../lambdas/core/embeddings';
import { costNanoUsd, maxCostNanoUsd, offerPrice } from '../../lambdas/core/pricing';
import { maxPromptTokens } from '../../lambdas/core/tokens';
import type { ChatRequest } from '../../lambdas/domain/chat-request';
import { rateLimitHeaders } from '../../lambdas/handlers/http-errors';
import { LimitsRepo, RESERVATION_TTL_SECONDS } from '../../lambdas/store/limits-repo';
import { threeProviderConfig } from '../helpers/config';
import { asHttp } from '../helpers/http-error';
import { startTestRouter, type TestRouter } from '../helpers/local-router';
import { type MockUpstream, startOpenAIUpstream } from '../helpers/openai-upstream';

let router: TestRouter;
let cheap: MockUpstream;

async function events(accountId: string): Promise<Record<string, any>[]> {
  const items: Record<string, any>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await router.db.send(
      new QueryCommand({
        TableName: router.tables.usage,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :e)',
        ExpressionAttributeValues: { ':pk': `acct#${accountId}`, ':e': 'evt#' },
        ConsistentRead: true,
        ExclusiveStartKey: start,
      }),
    );
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

/** Reads a budget counter's `committed` every few milliseconds until stopped (bounded: at most 2 minutes). */
function sampleCommitted(pk: string, sk: string): { stop(): Promise<number[]> } {
  const samples: number[] = [];
  let running = true;
  const loop = (async () => {
    const until = Date.now() + 120_000;
    while (running && Date.now() < until) {
      // A sample the overloaded store does not answer in time is skipped, not a failure of the test.
      const out = await router.db
        .send(new GetCommand({ TableName: router.tables.limits, Key: { pk, sk }, ConsistentRead: true }))
        .catch(() => undefined);
      if (out?.Item?.committed !== undefined) samples.push(Number(out.Item.committed));
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return samples;
    },
  };
}

const ask = { model: 'acme/llama-test', messages: [{ role: 'user' as const, content: 'Count to three, please.' }], max_tokens: 20 };

beforeAll(async () => {
  cheap = await startOpenAIUpstream('cheap');
  router = await startTestRouter(threeProviderConfig({ cheap: cheap.url, mid: cheap.url, dear: cheap.url }), { CHEAP_KEY: 'k' });
});

afterAll(async () => {
  await router?.stop();
  await cheap?.close();
});

beforeEach(() => {
  cheap.mode = { kind: 'ok' };
  // Realistic usage: never more prompt tokens than the prompt has bytes.
  cheap.usage = { prompt: 12, completion: 20, cached: 0 };
});

describe('budgets under concurrency', () => {
  it('200 concurrent requests against a budget that covers exactly 50, each using its whole reservation: exactly 50 served, never overspent at any moment', async () => {
    // Only the cheap offer, so the reservation is that offer's worst case; the upstream reports exactly that
    // worst case (every prompt token the request could have, every output token allowed), so a single extra
    // admitted request overspends and a single missing one is seen.
    const request = { ...ask, provider: { only: ['cheap'] } };
    const price = offerPrice({ input: 0.23, output: 0.4, cachedInput: 0.115 });
    const prompt = maxPromptTokens(request as unknown as ChatRequest);
    const perRequest = maxCostNanoUsd(prompt, ask.max_tokens, price);
    cheap.usage = { prompt, completion: ask.max_tokens, cached: 0 };
    expect(
      costNanoUsd(
        { promptTokens: prompt, completionTokens: ask.max_tokens, cachedReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 },
        price,
      ),
    ).toBe(perRequest);
    const budgetNano = 50 * perRequest;
    await router.accounts.createAccount({ accountId: 'acct-budget', limits: { monthlyBudgetUsd: budgetNano / 1e9 } });
    // Generous bounds: 200 requests at once on a small shared machine.
    const client = router.client(await router.createKey('acct-budget'), 120_000);

    const sampler = sampleCommitted('budget#acct#acct-budget', `month#${new Date().toISOString().slice(0, 7)}`);
    const results = await Promise.allSettled(
      Array.from({ length: 200 }, () => client.chat.completions.create(request as OpenAI.ChatCompletionCreateParamsNonStreaming)),
    );
    const served = results.filter((r) => r.status === 'fulfilled').length;
    const refused = results.filter((r) => r.status === 'rejected' && r.reason instanceof OpenAI.RateLimitError);
    // DynamoDB Local runs transactions one at a time: under this burst a store call can pass its bound,
    // and the client is told so (503 store_unavailable + Retry-After) — an answer, not a lost request.
    const unavailable = results.filter((r) => r.status === 'rejected' && (r.reason as { code?: unknown }).code === 'store_unavailable');
    const other = results.flatMap((r) =>
      r.status === 'rejected' &&
      !(r.reason instanceof OpenAI.RateLimitError) &&
      (r.reason as { code?: unknown }).code !== 'store_unavailable'
        ? [String((r.reason as Error).message)]
        : [],
    );
    expect(other, 'requests neither served, refused nor told the store is unavailable').toEqual([]);
    expect(served + refused.length + unavailable.length).toBe(200);
    // A request told the store was unavailable may still hold its reservation until it expires.
    expect(served).toBeLessThanOrEqual(50);
    expect(served).toBeGreaterThanOrEqual(50 - unavailable.length);
    const first = (refused[0] as PromiseRejectedResult).reason as InstanceType<typeof OpenAI.RateLimitError>;
    expect(first.code).toBe('budget_exceeded');
    expect(first.type).toBe('insufficient_quota');
    expect(Number(first.headers?.get('retry-after'))).toBeGreaterThan(0);

    const recorded = await vi.waitFor(
      async () => {
        const e = await events('acct-budget');
        expect(e.length).toBe(served);
        return e;
      },
      { timeout: 20_000, interval: 100 },
    );
    const spent = recorded.reduce((s, e) => s + e.costNanoUsd, 0);
    expect(spent).toBe(budgetNano);
    // Every hold is settled (settling follows the usage write): committed equals spent, nothing left reserved.
    const caller = { accountId: 'acct-budget', keyId: 'x', accountLimits: { monthlyBudgetNanoUsd: budgetNano } };
    await vi.waitFor(
      async () => {
        const [month] = await router.stack.runtime.limits.budgetStatus(caller);
        expect(month!.committedUsd).toBe(month!.spentUsd);
        expect(Math.round(month!.spentUsd * 1e9)).toBe(spent);
      },
      { timeout: 20_000, interval: 100 },
    );
    const samples = await sampler.stop();
    expect(samples.length).toBeGreaterThan(3);
    // The committed counter, read while the burst ran, never held more than the budget.
    expect(Math.max(...samples)).toBeLessThanOrEqual(budgetNano);
    expect(router.logs.join('\n')).not.toMatch(/settle failed|usage record failed/);
  }, 180_000);

  it('embeddings under a budget: repeated bursts admit no request the budget cannot cover, and spend it down to less than one request', async () => {
    const input = 'x'.repeat(400);
    // mock/embed-small: $0.02 per M input tokens = 20 nano-USD per token; a reservation is one token per
    // byte plus the special tokens a model may add per input.
    const reserved = (400 + EMBEDDING_INPUT_OVERHEAD) * 20;
    const budgetNano = 3 * reserved + reserved / 2;
    await router.accounts.createAccount({ accountId: 'acct-embed-budget', limits: { dailyBudgetUsd: budgetNano / 1e9 } });
    const client = router.client(await router.createKey('acct-embed-budget'));
    const sampler = sampleCommitted('budget#acct#acct-embed-budget', `day#${new Date().toISOString().slice(0, 10)}`);
    let served = 0;
    let lastBurst = -1;
    for (let burst = 0; burst < 12 && lastBurst !== 0; burst++) {
      const results = await Promise.allSettled(
        Array.from({ length: 12 }, () => client.embeddings.create({ model: 'mock/embed-small', input })),
      );
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(OpenAI.RateLimitError);
      lastBurst = results.filter((r) => r.status === 'fulfilled').length;
      served += lastBurst;
      // Metering (and the settle that frees the unspent part of each reservation) runs after the answers: let it land.
      await vi.waitFor(async () => expect((await events('acct-embed-budget')).length).toBe(served), { timeout: 20_000, interval: 50 });
    }
    expect(lastBurst).toBe(0);
    const recorded = await vi.waitFor(
      async () => {
        const e = await events('acct-embed-budget');
        expect(e.length).toBe(served);
        return e;
      },
      { timeout: 20_000, interval: 100 },
    );
    const spent = recorded.reduce((s, e) => s + e.costNanoUsd, 0);
    expect(spent).toBeLessThanOrEqual(budgetNano);
    // Spent down until no reservation fits: what is left is less than one request's worst case.
    expect(budgetNano - spent).toBeLessThan(reserved);
    const samples = await sampler.stop();
    expect(Math.max(...samples)).toBeLessThanOrEqual(budgetNano);
  }, 180_000);

  it('a request whose maximum cost exceeds the remaining budget gets a clean 429 before any provider is called', async () => {
    await router.accounts.createAccount({ accountId: 'acct-tiny', limits: { dailyBudgetUsd: 0.000001 } });
    const client = router.client(await router.createKey('acct-tiny'));
    const before = cheap.requests.length;
    const err = await client.chat.completions.create({ ...ask, max_tokens: 2000 }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err.message).toMatch(/daily budget of this account/);
    expect(cheap.requests.length).toBe(before);
  });
});

describe('rate limits', () => {
  it('requests per minute: 429 with Retry-After and OpenAI rate-limit headers', async () => {
    await router.accounts.createAccount({ accountId: 'acct-rpm' });
    const client = router.client(await router.createKey('acct-rpm', { limits: { rpm: 3 } }));
    const remaining: number[] = [];
    let refused: InstanceType<typeof OpenAI.RateLimitError> | undefined;
    // At most one minute boundary can pass during the test, so a refusal comes within 2 × 3 + 1 requests.
    for (let i = 0; i < 7 && !refused; i++) {
      try {
        const { response } = await client.chat.completions.create(ask).withResponse();
        expect(response.headers.get('x-ratelimit-limit-requests')).toBe('3');
        expect(response.headers.get('x-ratelimit-reset-requests')).toMatch(/^\d+s$/);
        remaining.push(Number(response.headers.get('x-ratelimit-remaining-requests')));
      } catch (err) {
        refused = err as InstanceType<typeof OpenAI.RateLimitError>;
      }
    }
    expect(refused).toBeInstanceOf(OpenAI.RateLimitError);
    expect(refused!.status).toBe(429);
    expect(refused!.code).toBe('rate_limit_exceeded');
    expect(remaining.slice(-3)).toEqual([2, 1, 0]);
    const retryAfter = Number(refused!.headers?.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
  });

  it('tokens per minute: a request larger than the window is refused; settled tokens replace the reservation', async () => {
    await router.accounts.createAccount({ accountId: 'acct-tpm' });
    const client = router.client(await router.createKey('acct-tpm', { limits: { tpm: 1000 } }));
    const big = await client.chat.completions.create({ ...ask, max_tokens: 2000 }).catch((e) => e);
    expect(big).toBeInstanceOf(OpenAI.RateLimitError);
    expect(big.code).toBe('tokens_per_minute');
    const { response } = await client.chat.completions.create(ask).withResponse();
    expect(response.headers.get('x-ratelimit-limit-tokens')).toBe('1000');
    expect(Number(response.headers.get('x-ratelimit-remaining-tokens'))).toBeLessThan(1000);
  });

  it('tokens per minute: settling replaces the reserved tokens by the used ones in the same window', async () => {
    const now = new Date('2026-05-10T08:00:30Z');
    const repo = new LimitsRepo(router.db, router.tables.limits, 300, () => now);
    const caller = { accountId: 'acct-tpm2', keyId: 'key-tpm2', keyLimits: { tpm: 1000 } };
    const r = await repo.reserve(caller, 'req-1', 0, 600);
    expect(rateLimitHeaders(r.rateLimit)['x-ratelimit-remaining-tokens']).toBe('400');
    await r.settle(0, 150);
    // The window now holds 150 tokens: a second 600-token reservation fits (750 ≤ 1000), a third does not.
    const r2 = await repo.reserve(caller, 'req-2', 0, 600);
    expect(rateLimitHeaders(r2.rateLimit)['x-ratelimit-remaining-tokens']).toBe('250');
    expect(asHttp(await repo.reserve(caller, 'req-3', 0, 600).catch((e: unknown) => e))).toMatchObject({
      status: 429,
      code: 'rate_limit_exceeded',
    });
  });
});

describe('reservations', () => {
  it('a crashed request’s reservation expires by itself', async () => {
    let now = new Date('2026-03-10T12:00:00Z');
    const repo = new LimitsRepo(router.db, router.tables.limits, 300, () => now);
    const caller = { accountId: 'acct-crash', keyId: 'key-crash', accountLimits: { dailyBudgetNanoUsd: 1000 } };
    await repo.reserve(caller, 'req-crashed', 800, 10); // never settled: the request "crashed"
    expect(asHttp(await repo.reserve(caller, 'req-2', 800, 10).catch((e: unknown) => e))).toMatchObject({
      status: 429,
      code: 'budget_exceeded',
    });
    now = new Date(now.getTime() + (RESERVATION_TTL_SECONDS + 1) * 1000);
    const r = await repo.reserve(caller, 'req-3', 800, 10);
    await r.settle(500, 10);
    const [day] = await repo.budgetStatus(caller);
    expect(day).toMatchObject({ period: 'day#2026-03-10', spentUsd: 0.0000005, committedUsd: 0.0000005 });
  });

  it('settling twice counts once, and a request that outlived its reservation still adds its spend once', async () => {
    let now = new Date('2026-05-10T08:00:00Z');
    const repo = new LimitsRepo(router.db, router.tables.limits, 300, () => now);
    const caller = { accountId: 'acct-idem', keyId: 'key-idem', accountLimits: { dailyBudgetNanoUsd: 10_000 } };
    const a = await repo.reserve(caller, 'req-a', 1000, 1);
    await a.settle(400, 1);
    await a.settle(400, 1); // a retry after a lost response
    const slow = await repo.reserve(caller, 'req-slow', 9000, 1);
    now = new Date(now.getTime() + (RESERVATION_TTL_SECONDS + 1) * 1000);
    expect(await repo.sweepExpired('acct-idem')).toBe(1); // releases req-slow's hold, never req-a's settled item
    await slow.settle(700, 1);
    const [day] = await repo.budgetStatus(caller);
    expect(day).toMatchObject({ spentUsd: 0.0000011, committedUsd: 0.0000011 });
  });

  it('settling releases the unused part of a reservation', async () => {
    const repo = new LimitsRepo(router.db, router.tables.limits, 300);
    const caller = {
      accountId: 'acct-settle',
      keyId: 'key-settle',
      accountLimits: { monthlyBudgetNanoUsd: 1000 },
      keyLimits: { monthlyBudgetNanoUsd: 900 },
    };
    const a = await repo.reserve(caller, 'req-a', 900, 1);
    await a.settle(100, 1);
    const b = await repo.reserve(caller, 'req-b', 800, 1);
    await b.settle(800, 1);
    expect(asHttp(await repo.reserve(caller, 'req-c', 1, 1).catch((e: unknown) => e))).toMatchObject({ status: 429 });
    const status = await repo.budgetStatus(caller);
    expect(status.map((s) => [s.scope, s.spentUsd, s.remainingUsd])).toEqual([
      ['account', 0.0000009, 0.0000001],
      ['key', 0.0000009, 0],
    ]);
  });
});

describe('tenant isolation', () => {
  it('a key sees only its own account’s usage and limits', async () => {
    await router.accounts.createAccount({ accountId: 'acct-a' });
    await router.accounts.createAccount({ accountId: 'acct-b' });
    const a = await router.createKey('acct-a');
    const b = await router.createKey('acct-b');
    await router.client(b).chat.completions.create(ask);
    await vi.waitFor(async () => expect((await events('acct-b')).length).toBe(1), { timeout: 10_000 });
    const get = (key: string, path: string) => fetch(`${router.baseUrl}${path}`, { headers: { authorization: `Bearer ${key}` } });
    const usageA = (await (await get(a, '/usage?account=acct-b&by=model')).json()) as { account_id: string; data: unknown[] };
    expect(usageA.account_id).toBe('acct-a');
    expect(usageA.data).toEqual([]);
    const usageB = (await (await get(b, '/usage?by=model')).json()) as {
      account_id: string;
      data: Array<{ group: string; requests: number }>;
    };
    expect(usageB.data).toEqual([expect.objectContaining({ group: 'acme/llama-test', requests: 1 })]);
    const keyA = (await (await get(a, '/key')).json()) as { data: { accountId: string } };
    expect(keyA.data.accountId).toBe('acct-a');
    expect((await get('sk-ctr-nope', '/usage')).status).toBe(401);
  });

  it('suspended and restricted accounts are refused with 403', async () => {
    await router.accounts.createAccount({ accountId: 'acct-susp' });
    const key = await router.createKey('acct-susp');
    await router.accounts.updateAccount('acct-susp', { status: 'suspended' });
    const err = await router
      .client(key)
      .chat.completions.create(ask)
      .catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(err.code).toBe('account_suspended');
  });
});
