/**
 * POST /v1/embeddings over real sockets: the official openai client → the local server → the api
 * handler (lambdas/handlers/api.ts routes POST /v1/embeddings to core/embeddings.ts) → the offline
 * mock provider, with DynamoDB Local. The core's routing, fallback and limits are covered
 * in-process by embeddings.test.ts.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nanoToUsd } from '../../lambdas/domain/money';
import { rawDefaultConfig } from '../helpers/config';
import { startTestRouter, type TestRouter } from '../helpers/local-router';
import { usageEventFor } from '../helpers/usage-records';

const account = 'acct-embed-http';
const CANARY = 'CANARY-EMBED-HTTP-91d2';
let router: TestRouter;
let client: OpenAI;

beforeAll(async () => {
  router = await startTestRouter(rawDefaultConfig());
  client = router.client(await router.createKey(account));
});

afterAll(async () => {
  await router?.stop();
});

describe('POST /v1/embeddings', () => {
  it('embeds with the openai client, reports usage.cost and writes one exact usage record', async () => {
    const { data, response } = await client.embeddings
      .create({ model: 'mock/embed-small', input: [`${CANARY} first`, 'second'], encoding_format: 'float' })
      .withResponse();
    expect(data.data).toHaveLength(2);
    expect(data.data[0]!.embedding.length).toBeGreaterThan(0);
    expect(data.model).toBe('mock/embed-small');
    expect(response.headers.get('x-ctr-provider')).toBe('mock');
    const tokens = data.usage.prompt_tokens;
    const cost = Math.ceil((tokens * 20_000) / 1000); // $0.02 per M
    expect((data.usage as unknown as { cost: number }).cost).toBe(nanoToUsd(cost));
    const ev = await usageEventFor(router, account, response.headers.get('x-request-id')!);
    expect(ev).toMatchObject({
      provider: 'mock',
      servedModel: 'mock/embed-small',
      promptTokens: tokens,
      completionTokens: 0,
      costNanoUsd: cost,
      status: 'ok',
    });
    expect(await router.dumpAllTables()).not.toContain(CANARY);
    expect(router.logs.join('\n')).not.toContain(CANARY);
  });

  it('answers a chat model with a 400 in OpenAI format, and a bad key with 401', async () => {
    const err = await client.embeddings.create({ model: 'mock/echo-small', input: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err).toMatchObject({ status: 400, code: 'model_kind_mismatch', param: 'model' });
    const bad = await router
      .client('sk-ctr-nope')
      .embeddings.create({ model: 'mock/embed-small', input: 'x' })
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(OpenAI.AuthenticationError);
  });
});
