/**
 * Refusal counts on DynamoDB Local (store/refusals-repo.ts): written per account, key and hour by the
 * requests the router refuses, read back by usage reports, service-wide for callers without an
 * account, and never after an erasure (§6): the count's transaction carries the erasure fence.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GLOBAL_REFUSALS_PK } from '../../lambdas/store/refusals-repo';
import { threeProviderConfig } from '../helpers/config';
import { startTestRouter, type TestRouter } from '../helpers/local-router';
import { type MockUpstream, startOpenAIUpstream } from '../helpers/openai-upstream';

let up: MockUpstream;
let router: TestRouter;
const today = new Date().toISOString().slice(0, 10);

beforeAll(async () => {
  up = await startOpenAIUpstream('cheap');
  router = await startTestRouter(threeProviderConfig({ cheap: up.url, mid: up.url, dear: up.url }), {
    CHEAP_KEY: 'k1',
    MID_KEY: 'k2',
    DEAR_KEY: 'k3',
  });
});

afterAll(async () => {
  await router?.stop();
  await up?.close();
});

const items = async (pk: string) =>
  (
    await router.db.send(
      new QueryCommand({
        TableName: router.tables.usage,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :ref)',
        ExpressionAttributeValues: { ':pk': pk, ':ref': 'ref#' },
      }),
    )
  ).Items ?? [];

describe('refusal counts', () => {
  it('count every refusal of a key, add up across writes, and show in its usage report', async () => {
    // Prepare
    const key = await router.createKey('refused', { limits: { rpm: 1 } });
    const client = router.client(key);
    const ask = (model: string) =>
      client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 }).catch((e) => e.status);
    // Act: one answered, two over the rate limit, one for a model that does not exist; then again after a write.
    await ask('acme/llama-test');
    const first = [await ask('acme/llama-test'), await ask('acme/llama-test'), await ask('nosuch/model')];
    await router.stack.runtime.refusals.flush();
    const second = await ask('acme/llama-test');
    const third = await ask('acme/llama-test');
    const unknownKey = await router
      .client('sk-ctr-not-a-key')
      .chat.completions.create({ model: 'acme/llama-test', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e) => e.status);
    await router.stack.runtime.refusals.flush();
    // Assess
    expect([...first, second, third, unknownKey]).toEqual([429, 429, 404, 429, 429, 401]);
    const [row] = await router.accounts.usage('refused', { from: today, to: today, by: 'key' });
    expect(row?.refusals).toBe(5);
    expect(Object.entries(row!.refusedBy).sort()).toEqual([
      [expect.stringMatching(/^404-/), 1],
      [expect.stringMatching(/^429-/), 4],
    ]);
    expect(await items('acct#refused')).toHaveLength(1);
    expect((await items(GLOBAL_REFUSALS_PK)).some((i) => Object.keys(i).some((a) => a.startsWith('n_401-')))).toBe(true);
  });

  it('never land for an erased account', async () => {
    await router.accounts.createAccount({ accountId: 'gone' });
    const key = await router.createKey('gone');
    const caller = await router.accounts.resolveCaller(key);
    await router.stack.runtime.privacy.erase('gone', 'operator');
    await router.stack.runtime.localJobs?.idle();
    router.stack.runtime.refusals.note(caller, 429, 'rate_limit_exceeded');
    await router.stack.runtime.refusals.flush();
    expect(await items('acct#gone')).toEqual([]);
  });
});
