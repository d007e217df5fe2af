/**
 * Budget alerts over real sockets (issue 14): a key holder spends through the router against a
 * monthly budget; each threshold (50/80/100 %) is sent to the alert webhook exactly once, with ids
 * and amounts only, after the spend is settled; the EMF metric of each alert is in the local logs.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { maxCostNanoUsd, offerPrice } from '../../lambdas/core/pricing';
import { maxPromptTokens } from '../../lambdas/core/tokens';
import type { ChatRequest } from '../../lambdas/domain/chat-request';
import { threeProviderConfig } from '../helpers/config';
import { startTestRouter, type TestRouter } from '../helpers/local-router';
import { type MockUpstream, startOpenAIUpstream } from '../helpers/openai-upstream';

let router: TestRouter;
let upstream: MockUpstream;
let hook: Server;
const received: Array<{ subject: string; alert: Record<string, unknown> }> = [];
const SECRET_PROMPT = 'Count to three, please, alert-canary-7f3.';

beforeAll(async () => {
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      received.push(JSON.parse(body));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  upstream = await startOpenAIUpstream('cheap');
  router = await startTestRouter(threeProviderConfig({ cheap: upstream.url, mid: upstream.url, dear: upstream.url }), {
    CHEAP_KEY: 'k',
    CTR_BUDGET_ALERT_WEBHOOK: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/alerts`,
    CTR_BUDGET_ALERT_THRESHOLDS: '50,80,100',
  });
}, 120_000);

afterAll(async () => {
  await router?.stop();
  await upstream?.close();
  await new Promise((r) => hook?.close(r));
});

describe('budget alerts', () => {
  it('sends 50, 80 and 100 % of a monthly budget once each, in order, with ids and amounts only', async () => {
    const request = {
      model: 'acme/llama-test',
      messages: [{ role: 'user' as const, content: SECRET_PROMPT }],
      max_tokens: 20,
      provider: { only: ['cheap'] },
    };
    const price = offerPrice({ input: 0.23, output: 0.4, cachedInput: 0.115 });
    const prompt = maxPromptTokens(request as unknown as ChatRequest);
    const perRequest = maxCostNanoUsd(prompt, request.max_tokens, price);
    // Each request costs exactly its reservation: 10 requests fill the budget.
    upstream.usage = { prompt, completion: request.max_tokens, cached: 0 };
    await router.accounts.createAccount({ accountId: 'acct-alerts', limits: { monthlyBudgetUsd: (10 * perRequest) / 1e9 } });
    const client = router.client(await router.createKey('acct-alerts'));
    const seenAfter: number[] = [];
    for (let i = 1; i <= 12; i++) {
      await client.chat.completions.create(request as OpenAI.ChatCompletionCreateParamsNonStreaming).catch(() => undefined);
      // Metering (and the alert check) runs after the response; wait for it before the next request.
      await vi.waitFor(
        () => expect(router.logs.filter((l) => l.includes('"request metered"')).length).toBeGreaterThanOrEqual(Math.min(i, 10)),
        {
          timeout: 10_000,
        },
      );
      seenAfter.push(received.length);
    }
    await vi.waitFor(() => expect(received.length).toBe(3), { timeout: 10_000 });
    expect(received.map((r) => r.alert.thresholdPercent)).toEqual([50, 80, 100]);
    // Sent when the spend crossed them: after the 5th, 8th and 10th request.
    expect(seenAfter[3]).toBe(0);
    expect(seenAfter[4]).toBe(1);
    expect(seenAfter[7]).toBe(2);
    expect(seenAfter[9]).toBe(3);
    for (const r of received) {
      expect(Object.keys(r.alert).sort()).toEqual(['accountId', 'limitUsd', 'period', 'scope', 'spentUsd', 'thresholdPercent']);
      expect(r.alert).toMatchObject({ accountId: 'acct-alerts', scope: 'account' });
      expect(String(r.alert.period)).toMatch(/^month#\d{4}-\d{2}$/);
    }
    const text = JSON.stringify(received) + router.logs.join('\n') + router.metrics.join('');
    expect(text).not.toContain('alert-canary-7f3');
    // Each alert is also an EMF metric in the local output.
    expect(router.metrics.filter((l) => l.includes('"BudgetAlerts":1')).length).toBe(3);
  }, 120_000);
});
