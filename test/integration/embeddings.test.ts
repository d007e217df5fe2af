/**
 * POST /v1/embeddings in the core, called in-process (no router socket): routing through the
 * catalog (embedding models only), fallback on retryable upstream errors, exactly one usage record
 * with the exact cost, budget reservations. Upstreams are the offline mock adapter and
 * OpenAI-compatible embeddings mocks on 127.0.0.1. The route over sockets, with the official openai
 * client, is in embeddings-http.test.ts.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Catalog } from '../../lambdas/core/catalog';
import type { ChatDeps } from '../../lambdas/core/chat';
import { parseConfig } from '../../lambdas/core/config';
import { embeddings } from '../../lambdas/core/embeddings';
import { jsonLogger } from '../../lambdas/core/log';
import { assertModelKind } from '../../lambdas/core/model-kind';
import type { Caller } from '../../lambdas/domain/caller';
import { RouterError } from '../../lambdas/domain/errors';
import { nanoToUsd } from '../../lambdas/domain/money';
import type { LimitsPort } from '../../lambdas/domain/ports';
import type { UsageEvent } from '../../lambdas/domain/usage';
import { renderEmbeddings } from '../../lambdas/handlers/render-openai';
import { adapterFor } from '../../lambdas/providers/registry';
import { rawDefaultConfig } from '../helpers/config';
import { asHttp } from '../helpers/http-error';
import { mockUpstream } from '../helpers/provider-upstreams';

const CANARY = 'CANARY-EMBED-3f9a';
const caller: Caller = { accountId: 'acct-emb', keyId: 'key-emb' };
const TOKENS_PER_INPUT = 7;

/** An OpenAI-compatible embeddings upstream; `status` makes it fail. */
async function embeddingsUpstream() {
  const state = { status: 200 };
  const up = await mockUpstream((req, body, res) => {
    if (req.url !== '/v1/embeddings' || req.headers.authorization !== 'Bearer sk-emb') {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"not here"}}');
      return;
    }
    if (state.status !== 200) {
      res
        .writeHead(state.status, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: { message: 'nope', type: 'invalid_request_error', code: 'failed' } }));
      return;
    }
    const inputs: unknown[] = Array.isArray(body.input) ? body.input : [body.input];
    const tokens = inputs.length * TOKENS_PER_INPUT;
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        object: 'list',
        data: inputs.map((_, index) => ({ object: 'embedding', index, embedding: [0.1, 0.2, 0.3] })),
        model: body.model,
        usage: { prompt_tokens: tokens, total_tokens: tokens },
      }),
    );
  });
  return Object.assign(up, { state });
}

let cheap: Awaited<ReturnType<typeof embeddingsUpstream>>;
let dear: Awaited<ReturnType<typeof embeddingsUpstream>>;
let catalog: Catalog;
const records: UsageEvent[] = [];
const recordOptions: Array<{ analytics: boolean }> = [];
const logs: string[] = [];
let reservations: Array<{ maxCostNano: number; maxTokens: number; settled?: [number, number] }> = [];

function deps(over: Partial<ChatDeps> = {}): ChatDeps {
  return {
    catalog,
    usableProviders: new Set(['mock', 'cheap', 'dear', 'ant']),
    adapterFor,
    apiKeyFor: (p) => (p.id === 'mock' ? undefined : 'sk-emb'),
    fetch,
    recordUsage: async (e, o) => {
      records.push(e);
      recordOptions.push(o!);
      return true;
    },
    log: jsonLogger((l) => logs.push(l), 'debug'),
    now: () => new Date(),
    ...over,
  };
}

const limits: LimitsPort = {
  async reserve(_caller, _id, maxCostNano, maxTokens) {
    const r: (typeof reservations)[number] = { maxCostNano, maxTokens };
    reservations.push(r);
    return {
      rateLimit: { requests: { limit: 10, remaining: 9, resetSeconds: 60 } },
      settle: async (cost, tokens) => {
        r.settled = [cost, tokens];
      },
    };
  },
  budgetStatus: async () => [],
};

const run = async (body: unknown, d = deps()) => {
  const result = renderEmbeddings(await embeddings(body, caller, d, new AbortController().signal));
  await result.afterResponse?.();
  return { result, json: JSON.parse(result.body as string) };
};
const failure = (body: unknown, d = deps()) =>
  embeddings(body, caller, d, new AbortController().signal).then(
    () => undefined,
    (e: unknown) => e as RouterError,
  );

beforeAll(async () => {
  cheap = await embeddingsUpstream();
  dear = await embeddingsUpstream();
  const raw = rawDefaultConfig();
  raw.providers = [
    raw.providers.find((p: { id: string }) => p.id === 'mock'),
    { id: 'cheap', kind: 'openai', baseUrl: `${cheap.url}/v1`, credential: { env: 'CHEAP_KEY' }, timeoutMs: 5000 },
    { id: 'dear', kind: 'openai', baseUrl: `${dear.url}/v1`, credential: { env: 'DEAR_KEY' }, timeoutMs: 5000 },
    { id: 'ant', kind: 'anthropic', credential: { env: 'ANT_KEY' } },
  ];
  raw.models = [
    ...raw.models.filter((m: { id: string }) => m.id.startsWith('mock/')),
    {
      id: 'acme/embed',
      kind: 'embedding',
      contextWindow: 8192,
      maxOutput: 1,
      offers: [
        { provider: 'dear', upstreamModel: 'embed-dear', price: { input: 0.13, output: 0 } },
        { provider: 'cheap', upstreamModel: 'embed-cheap', price: { input: 0.02, output: 0 } },
      ],
    },
    {
      id: 'acme/embed-anthropic',
      kind: 'embedding',
      contextWindow: 8192,
      maxOutput: 1,
      offers: [{ provider: 'ant', upstreamModel: 'none', price: { input: 0.01, output: 0 } }],
    },
  ];
  catalog = new Catalog(parseConfig(raw));
});

afterAll(async () => {
  await cheap?.close();
  await dear?.close();
  // Nothing of an input reached a record or a log line.
  expect(JSON.stringify(records) + logs.join('\n')).not.toContain(CANARY);
});

beforeEach(() => {
  records.length = 0;
  recordOptions.length = 0;
  reservations = [];
  cheap.state.status = 200;
  dear.state.status = 200;
  cheap.recorded.length = 0;
  dear.recorded.length = 0;
});

describe('embeddings core', () => {
  it('serves the offline mock embedding model, with an exact cost and one usage record', async () => {
    const { result, json } = await run({ model: 'mock/embed-small', input: [`${CANARY} one`, 'two'] });
    expect(json).toMatchObject({ object: 'list', model: 'mock/embed-small', provider: 'mock' });
    expect(json.data).toHaveLength(2);
    expect(json.data[1]).toMatchObject({ object: 'embedding', index: 1 });
    const tokens = json.usage.prompt_tokens as number;
    // $0.02 per million tokens = 20 000 pico-USD per token, rounded up to whole nano-USD once.
    const cost = Math.ceil((tokens * 20_000) / 1000);
    expect(json.usage.cost).toBe(nanoToUsd(cost));
    expect(result.headers['x-ctr-cost-usd']).toBe(String(nanoToUsd(cost)));
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      provider: 'mock',
      servedModel: 'mock/embed-small',
      promptTokens: tokens,
      completionTokens: 0,
      costNanoUsd: cost,
      status: 'ok',
      stream: false,
      attempts: 1,
    });
    await result.afterResponse?.();
    expect(records).toHaveLength(1);
  });

  it('routes to the cheapest offer and strips the routing fields from the upstream body', async () => {
    const { json } = await run({ model: 'acme/embed', input: 'hello', provider: { sort: 'price' } });
    expect(json.provider).toBe('cheap');
    expect(cheap.recorded[0]!.body).toEqual({ model: 'embed-cheap', input: 'hello' });
    // 7 tokens × $0.02 per M = 140 nano-USD
    expect(records[0]).toMatchObject({ provider: 'cheap', upstreamModel: 'embed-cheap', promptTokens: TOKENS_PER_INPUT, costNanoUsd: 140 });
  });

  it('falls back on a retryable upstream error (503), and meters only the offer that served', async () => {
    cheap.state.status = 503;
    const { json } = await run({ model: 'acme/embed', input: ['a', 'b'] });
    expect(json.provider).toBe('dear');
    expect(cheap.recorded).toHaveLength(1);
    expect(records).toHaveLength(1);
    // 14 tokens × $0.13 per M = 1 820 nano-USD
    expect(records[0]).toMatchObject({ provider: 'dear', attempts: 2, costNanoUsd: 1820, status: 'ok' });
  });

  it('returns an upstream request error (400) without fallback, metered once at zero cost', async () => {
    cheap.state.status = 400;
    const err = await failure({ model: 'acme/embed', input: 'x' });
    expect({ status: asHttp(err).status, code: err?.code }).toMatchObject({ status: 400, code: 'upstream_rejected' });
    expect(dear.recorded).toHaveLength(0);
    expect(records).toEqual([expect.objectContaining({ provider: 'cheap', status: 'upstream_rejected', costNanoUsd: 0 })]);
  });

  it('answers 429 with Retry-After when every offer fails and one was rate-limited, metered once', async () => {
    cheap.state.status = 500;
    dear.state.status = 429;
    const err = await failure({ model: 'acme/embed', input: 'x' });
    expect(asHttp(err)).toMatchObject({ status: 429, code: 'providers_rate_limited' });
    expect(Number(asHttp(err).headers['retry-after'])).toBeGreaterThan(0);
    expect(records).toEqual([expect.objectContaining({ status: 'upstream_error', attempts: 2, costNanoUsd: 0 })]);
  });

  it('keeps an account that objected to analytics out of the statistics, and seals the client IP', async () => {
    const sealed: string[] = [];
    const d = deps({
      sealForAccount: async (acct, ip) => {
        sealed.push(`${acct}|${ip}`);
        return 'sealed-ip';
      },
    });
    const result = renderEmbeddings(
      await embeddings({ model: 'mock/embed-small', input: 'x' }, { ...caller, analyticsOptOut: true }, d, new AbortController().signal, {
        sourceIp: '203.0.113.9',
      }),
    );
    await result.afterResponse?.();
    expect(recordOptions).toEqual([{ analytics: false }]);
    expect(sealed).toEqual(['acct-emb|203.0.113.9']);
    expect(records[0]!.ipSealed).toBe('sealed-ip');
  });

  it('reserves the worst case once and settles the exact cost', async () => {
    const { result } = await run({ model: 'acme/embed', input: 'hello' }, deps({ limits }));
    expect(result.headers['x-ratelimit-remaining-requests']).toBe('9');
    expect(reservations).toHaveLength(1);
    expect(reservations[0]!.maxCostNano).toBeGreaterThanOrEqual(140);
    expect(reservations[0]!.settled).toEqual([140, TOKENS_PER_INPUT]);
  });

  const rejections: Array<{ name: string; body: unknown; status: number; code: string; param: string | null }> = [
    { name: 'a chat model', body: { model: 'mock/echo-small', input: 'x' }, status: 400, code: 'model_kind_mismatch', param: 'model' },
    {
      name: 'a chat model as fallback',
      body: { model: 'acme/embed', models: ['mock/echo-small'], input: 'x' },
      status: 400,
      code: 'model_kind_mismatch',
      param: 'models[0]',
    },
    { name: 'an unknown model', body: { model: 'acme/nothing', input: 'x' }, status: 404, code: 'model_not_found', param: 'model' },
    { name: 'a missing input', body: { model: 'acme/embed' }, status: 400, code: 'invalid_value', param: 'input' },
    {
      name: 'an offer whose adapter has no embeddings',
      body: { model: 'acme/embed-anthropic', input: 'x' },
      status: 400,
      code: 'no_eligible_offer',
      param: 'model',
    },
  ];
  it.each(rejections)('rejects $name before calling any provider', async ({ body, status, code, param }) => {
    const err = await failure(body);
    expect(err).toBeInstanceOf(RouterError);
    expect(asHttp(err)).toMatchObject({ status, code, param });
    expect(cheap.recorded.length + dear.recorded.length).toBe(0);
    expect(records).toHaveLength(0);
  });
});

describe('model kinds', () => {
  it('chat routes refuse embedding models with a 400 naming the route to use', () => {
    const err = (() => {
      try {
        assertModelKind(catalog, { model: 'mock/embed-small' }, 'chat');
      } catch (e) {
        return e as RouterError;
      }
    })();
    expect(asHttp(err)).toMatchObject({ status: 400, code: 'model_kind_mismatch', param: 'model' });
    expect(err?.message).toMatch(/POST \/v1\/embeddings/);
    expect(() => assertModelKind(catalog, { model: 'mock/echo-small' }, 'chat')).not.toThrow();
    expect(() => assertModelKind(catalog, { model: 'unknown/model' }, 'chat')).not.toThrow();
  });
});
