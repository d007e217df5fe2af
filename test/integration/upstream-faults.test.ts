/**
 * Upstreams are untrusted (issue 10, items 1 and 2), over real sockets with DynamoDB Local: usage
 * that is fractional, negative, absurd (10^12) or beyond 2^53 never crashes the router; the record
 * is written, bounded and flagged, and the budget keeps committed ≥ settled spend ≥ 0. A buffered
 * body that stalls after its headers, and a stream that stalls after its first content, end within
 * the provider timeout.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { checkUsage } from '../../lambdas/core/usage-bounds';
import { threeProviderConfig } from '../helpers/config';
import { type FaultUpstream, startFaultUpstream } from '../helpers/fault-upstream';
import { startTestRouter, type TestRouter } from '../helpers/local-router';
import { usageEvents } from '../helpers/usage-records';

const TIMEOUT_MS = 1000;
const CANARY = 'CANARY-USAGE-7d2e';
let router: TestRouter;
let fault: FaultUpstream;
let healthy: FaultUpstream;

const events = (accountId: string) => usageEvents(router, accountId);

beforeAll(async () => {
  fault = await startFaultUpstream();
  healthy = await startFaultUpstream();
  const config = threeProviderConfig({ cheap: fault.url, mid: healthy.url, dear: healthy.url });
  for (const p of config.providers) if (p.id !== 'mock') p.timeoutMs = TIMEOUT_MS;
  router = await startTestRouter(config, { CHEAP_KEY: 'k', MID_KEY: 'k', DEAR_KEY: 'k' });
});

afterAll(async () => {
  await router?.stop();
  await fault?.close();
  await healthy?.close();
});

beforeEach(() => {
  fault.mode = { kind: 'ok' };
  fault.usageJson = '{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15}';
});

const MAX_TOKENS = 20;
const ask = (stream: boolean) => ({
  model: 'acme/llama-test',
  messages: [{ role: 'user' as const, content: `${CANARY} say ok` }],
  max_tokens: MAX_TOKENS,
  provider: { only: ['cheap'] },
  ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
});

describe('untrusted upstream usage', () => {
  const cases: Array<[string, string]> = [
    ['a fraction', '{"prompt_tokens":10.5,"completion_tokens":5,"total_tokens":15.5}'],
    ['a negative', '{"prompt_tokens":-1000000,"completion_tokens":-5,"total_tokens":-1000005}'],
    ['10^12', '{"prompt_tokens":1000000000000,"completion_tokens":1000000000000,"total_tokens":2000000000000}'],
    [
      'beyond 2^53',
      '{"prompt_tokens":9007199254740993,"completion_tokens":9007199254740993,"prompt_tokens_details":{"cached_tokens":9007199254740993}}',
    ],
    ['a string', '{"prompt_tokens":"12","completion_tokens":null,"total_tokens":"x"}'],
    ['cached above prompt', '{"prompt_tokens":10,"completion_tokens":5,"prompt_tokens_details":{"cached_tokens":50}}'],
  ];

  it('never crashes; every answered request is recorded, bounded and flagged; committed ≥ spent ≥ 0', async () => {
    // Prepare: an account with a budget, so each request reserves and settles
    const budgetUsd = 0.01;
    await router.accounts.createAccount({ accountId: 'acct-usage', limits: { monthlyBudgetUsd: budgetUsd } });
    const key = await router.createKey('acct-usage');
    const client = router.client(key);
    let answered = 0;
    // Act: each bad usage, buffered and streamed
    for (const [, usageJson] of cases) {
      fault.usageJson = usageJson;
      for (const stream of [false, true]) {
        if (stream) {
          const s = await client.chat.completions.create({ ...ask(true), stream: true });
          for await (const _ of s) {
            // drain
          }
        } else {
          await client.chat.completions.create(ask(false));
        }
        answered++;
      }
    }
    // Assess: one record per answered request, each within the bounds, the bad ones flagged
    const recorded = await vi.waitFor(
      async () => {
        const e = await events('acct-usage');
        expect(e).toHaveLength(answered);
        return e;
      },
      { timeout: 20_000, interval: 100 },
    );
    for (const e of recorded) {
      for (const f of ['promptTokens', 'completionTokens', 'cachedReadTokens', 'cacheWriteTokens', 'reasoningTokens']) {
        expect(Number.isSafeInteger(e[f])).toBe(true);
        expect(e[f]).toBeGreaterThanOrEqual(0);
      }
      expect(e.completionTokens).toBeLessThanOrEqual(MAX_TOKENS);
      expect(e.cachedReadTokens).toBeLessThanOrEqual(e.promptTokens);
      expect(['invalid', 'clamped']).toContain(e.usageFlag);
      expect(e.costNanoUsd).toBeGreaterThanOrEqual(0);
    }
    const caller = { accountId: 'acct-usage', keyId: 'x', accountLimits: { monthlyBudgetNanoUsd: Math.round(budgetUsd * 1e9) } };
    await vi.waitFor(
      async () => {
        const [month] = await router.stack.runtime.limits.budgetStatus(caller);
        expect(month!.spentUsd).toBeGreaterThanOrEqual(0);
        expect(month!.committedUsd).toBeGreaterThanOrEqual(month!.spentUsd);
        expect(month!.committedUsd).toBeLessThanOrEqual(budgetUsd);
        expect(Math.round(month!.spentUsd * 1e9)).toBe(recorded.reduce((s, e) => s + e.costNanoUsd, 0));
      },
      { timeout: 20_000, interval: 100 },
    );
    // Logged by field name, without content
    const logs = router.logs.join('\n');
    expect(logs).toContain('upstream usage out of bounds');
    expect(logs).not.toContain(CANARY);
    expect(logs).not.toMatch(/settle failed|usage record failed/);
  });

  it('a valid report passes unchanged and unflagged', () => {
    const ok = { promptTokens: 10, completionTokens: 5, cachedReadTokens: 4, cacheWriteTokens: 0, reasoningTokens: 2 };
    expect(checkUsage(ok, { maxPromptTokens: 100, maxOutputTokens: 20 })).toEqual({ usage: ok, fields: [] });
    const absurd = checkUsage({ ...ok, promptTokens: 1e12 }, { maxPromptTokens: 100, maxOutputTokens: 20 });
    expect(absurd.usage).toMatchObject({ promptTokens: 100, usageFlag: 'clamped' });
    expect(checkUsage(undefined, { maxPromptTokens: 100, maxOutputTokens: 20 }).usage).toMatchObject({
      promptTokens: 0,
      usageFlag: 'invalid',
    });
  });
});

describe('stalls end within the provider timeout', () => {
  it('a buffered body that stalls after its headers falls back to the next offer', async () => {
    // Prepare
    fault.mode = { kind: 'stall-body' };
    const client = router.client(await router.createKey('acct-stall'));
    // Act
    const started = Date.now();
    const { data, response } = await client.chat.completions
      .create({ model: 'acme/llama-test', messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 })
      .withResponse();
    const elapsed = Date.now() - started;
    // Assess: served by the next offer, after about one timeout, and the stalled connection was closed
    expect(response.headers.get('x-ctr-provider')).toBe('mid');
    expect(data.choices[0]!.message.content).toBe('ok');
    expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(elapsed).toBeLessThan(TIMEOUT_MS * 3 + 1000);
    await vi.waitFor(() => expect(fault.abandoned).toBeGreaterThan(0), { timeout: 5000 });
  });

  it('a stream that stalls after its first content ends with an explicit error event within the bound', async () => {
    fault.mode = { kind: 'stall-stream' };
    const key = await router.createKey('acct-stall-stream');
    const started = Date.now();
    const res = await fetch(`${router.baseUrl}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ...ask(true) }),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    const elapsed = Date.now() - started;
    expect(res.status).toBe(200);
    expect(text).toContain('stream_interrupted');
    expect(text).not.toContain('[DONE]');
    expect(elapsed).toBeLessThan(TIMEOUT_MS * 2 + 1000);
    await vi.waitFor(async () => expect(await events('acct-stall-stream')).toHaveLength(1), { timeout: 10_000 });
  });
});
