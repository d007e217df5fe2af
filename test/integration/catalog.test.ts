/**
 * The catalog over HTTP: honest availability of the shipped catalog (only models this deployment
 * can serve, `?all=true` with reasons, a clear error for an unusable model), and exact cost for
 * tiered and cache-write prices with upstream mocks reporting usage on both sides of a tier
 * boundary, streamed and buffered, through the official `openai` client.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig, rawDefaultConfig } from '../helpers/config';
import { startTestRouter, type TestRouter } from '../helpers/local-router';
import { type MockUpstream, startOpenAIUpstream } from '../helpers/openai-upstream';
import { anthropicWire, scriptedUpstream, type Upstream } from '../helpers/provider-upstreams';
import { usageEventFor } from '../helpers/usage-records';

interface ListedOffer {
  provider: string;
  available: boolean;
  unavailable_reason?: string;
  pricing: { input: number; tiers: unknown[] };
  price_source: { kind: string; name: string | null; as_of: string | null } | null;
}
interface Listed {
  id: string;
  type: string;
  available: boolean;
  offers: ListedOffer[];
}

describe('availability of the shipped catalog (only GROQ_API_KEY set)', () => {
  let router: TestRouter;
  let key: string;
  beforeAll(async () => {
    router = await startTestRouter(rawDefaultConfig(), { GROQ_API_KEY: 'gsk-test' });
    key = await router.createKey('acct-avail');
  });
  afterAll(() => router?.stop());

  const list = async (query = '') => ((await (await fetch(`${router.baseUrl}/models${query}`)).json()) as { data: Listed[] }).data;

  it('lists by default only models with a usable offer', async () => {
    const data = await list();
    expect(data.every((m) => m.available && m.offers.some((o) => o.available))).toBe(true);
    const ids = data.map((m) => m.id);
    expect(ids).toContain('mock/echo-small');
    expect(ids).toContain('meta-llama/llama-3.3-70b-instruct');
    expect(ids).not.toContain('openai/gpt-5.4');
    expect(data.every((m) => m.offers.some((o) => o.provider === 'groq' || o.provider === 'mock'))).toBe(true);
  });

  it('?all=true lists the whole catalog, each unusable offer with its reason, price, source and as-of date', async () => {
    const data = await list('?all=true');
    expect(data.map((m) => m.id)).toEqual(defaultConfig().models.map((m) => m.id));
    const chat = data.filter((m) => m.type === 'chat' && !m.id.startsWith('mock/'));
    expect(chat.length).toBeGreaterThanOrEqual(150);
    expect(new Set(chat.flatMap((m) => m.offers.map((o) => o.provider))).size).toBeGreaterThanOrEqual(12);
    expect(chat.filter((m) => new Set(m.offers.map((o) => o.provider)).size >= 2).length).toBeGreaterThanOrEqual(40);
    const gpt = data.find((m) => m.id === 'openai/gpt-5.4')!;
    expect(gpt.available).toBe(false);
    const direct = gpt.offers.find((o) => o.provider === 'openai')!;
    expect(direct).toMatchObject({ available: false, unavailable_reason: 'no credential: set OPENAI_API_KEY (provider openai)' });
    expect(direct.price_source).toMatchObject({
      kind: 'price-data',
      name: expect.stringMatching(/^@pydantic\/genai-prices@/),
      as_of: defaultConfig().catalog!.asOf,
    });
    expect(
      data.find((m) => m.id === 'anthropic/claude-sonnet-4.5')!.offers.find((o) => o.provider === 'anthropic')!.pricing.tiers.length,
    ).toBeGreaterThan(0);
  });

  it('answers a request for a model it cannot serve with a 404 naming why', async () => {
    const client = router.client(key);
    const err = await client.chat.completions
      .create({ model: 'openai/gpt-5.4', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect((err as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('model_not_available');
    expect((err as Error).message).toMatch(/set OPENAI_API_KEY \(provider openai\)/);
    expect((err as Error).message).toMatch(/\?all=true/);
    const emb = await client.embeddings.create({ model: 'openai/text-embedding-3-small', input: 'x' }).catch((e: unknown) => e);
    expect((emb as { status?: number }).status).toBe(404);
    expect((emb as Error).message).toMatch(/OPENAI_API_KEY/);
  });
});

/** Anthropic-style tiered prices (USD per million): everything doubles above 200k prompt tokens, output × 1.5. */
const TIERED = {
  input: { base: 3, tiers: [{ start: 200_000, price: 6 }] },
  output: { base: 15, tiers: [{ start: 200_000, price: 22.5 }] },
  cachedInput: { base: 0.3, tiers: [{ start: 200_000, price: 0.6 }] },
  cacheWrite: { base: 3.75, tiers: [{ start: 200_000, price: 7.5 }] },
};

describe('exact cost for tiered and cache-write prices, on both sides of the tier boundary', () => {
  let router: TestRouter;
  let client: OpenAI;
  let oai: MockUpstream;
  let ant: Upstream;
  const antUsage: Record<string, number> = {};
  const account = 'acct-tiers';

  beforeAll(async () => {
    oai = await startOpenAIUpstream('tiered-oai');
    ant = await scriptedUpstream(anthropicWire, antUsage);
    const raw = rawDefaultConfig();
    raw.providers = [
      raw.providers.find((p: { id: string }) => p.id === 'mock'),
      { id: 'oai', kind: 'openai', baseUrl: oai.url, credential: { env: 'OAI_KEY' }, jurisdiction: 'US', timeoutMs: 10_000 },
      { id: 'ant', kind: 'anthropic', baseUrl: `${ant.url}/v1`, credential: { env: 'ANT_KEY' }, jurisdiction: 'US', timeoutMs: 10_000 },
    ];
    delete raw.catalog;
    raw.models = [
      ...raw.models.filter((m: { id: string }) => m.id.startsWith('mock/')),
      {
        id: 'acme/long-context',
        contextWindow: 1_000_000,
        maxOutput: 8192,
        offers: [
          { provider: 'oai', upstreamModel: 'long-oai', price: TIERED },
          { provider: 'ant', upstreamModel: 'long-ant', price: TIERED },
        ],
      },
      {
        id: 'acme/two-prices',
        contextWindow: 100_000,
        maxOutput: 4096,
        offers: [
          { provider: 'ant', upstreamModel: 'dear-ant', price: { input: 3, output: 6, cacheWrite: 3.75 } },
          { provider: 'oai', upstreamModel: 'cheap-oai', price: { input: 1, output: 2 } },
        ],
      },
    ];
    router = await startTestRouter(raw, { OAI_KEY: 'sk-oai', ANT_KEY: 'sk-ant-test' });
    client = router.client(await router.createKey(account));
  });
  afterAll(async () => {
    await router?.stop();
    await oai?.close();
    await ant?.close();
  });

  /** Runs one request pinned to a provider, buffered or streamed; returns the reported cost (USD) and the stored cost (nano-USD). */
  async function run(provider: string, stream: boolean) {
    // Long enough that the usage the mocks report stays within the prompt's upper bound (reported usage is bounded, core/usage-bounds.ts).
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'x'.repeat(210_000) }];
    const body = { model: 'acme/long-context', messages, max_tokens: 1000, provider: { only: [provider] } };
    let cost: number | undefined;
    let requestId: string;
    if (stream) {
      const res = await client.chat.completions.create({ ...body, stream: true, stream_options: { include_usage: true } }).withResponse();
      requestId = res.response.headers.get('x-request-id')!;
      for await (const chunk of res.data) if (chunk.usage) cost = (chunk.usage as unknown as { cost: number }).cost;
    } else {
      const res = await client.chat.completions.create(body).withResponse();
      requestId = res.response.headers.get('x-request-id')!;
      cost = (res.data.usage as unknown as { cost: number }).cost;
    }
    const record = await usageEventFor(router, account, requestId);
    return { cost, stored: Number(record.costNanoUsd), record };
  }

  // Expected costs worked out by hand in pico-USD (rate in USD per million = pico-USD per token / 10^6).
  const cases = [
    {
      name: 'OpenAI-compatible, prompt = 200,000 (not above the tier start)',
      provider: 'oai',
      usage: { prompt: 200_000, completion: 500, cached: 100_000 },
      pico: 100_000n * 3_000_000n + 100_000n * 300_000n + 500n * 15_000_000n,
    },
    {
      name: 'OpenAI-compatible, prompt = 200,001 (the whole request at the higher tier)',
      provider: 'oai',
      usage: { prompt: 200_001, completion: 500, cached: 100_000 },
      pico: 100_001n * 6_000_000n + 100_000n * 600_000n + 500n * 22_500_000n,
    },
    {
      name: 'Anthropic with cache writes, 200,000 prompt tokens in all',
      provider: 'ant',
      anthropic: { input_tokens: 150_000, cache_creation_input_tokens: 30_000, cache_read_input_tokens: 20_000, output_tokens: 1000 },
      pico: 150_000n * 3_000_000n + 30_000n * 3_750_000n + 20_000n * 300_000n + 1000n * 15_000_000n,
    },
    {
      name: 'Anthropic with cache writes, 200,001 prompt tokens in all',
      provider: 'ant',
      anthropic: { input_tokens: 150_001, cache_creation_input_tokens: 30_000, cache_read_input_tokens: 20_000, output_tokens: 1000 },
      pico: 150_001n * 6_000_000n + 30_000n * 7_500_000n + 20_000n * 600_000n + 1000n * 22_500_000n,
    },
  ];

  for (const c of cases)
    for (const stream of [false, true])
      it(`${c.name}, ${stream ? 'streamed' : 'buffered'}`, async () => {
        if (c.usage) oai.usage = c.usage;
        if (c.anthropic) Object.assign(antUsage, c.anthropic);
        const nano = Number((c.pico + 999n) / 1000n);
        const { cost, stored } = await run(c.provider, stream);
        expect(stored).toBe(nano);
        expect(cost).toBe(nano / 1e9);
      });

  it('stores what the usage would have cost at the dearest eligible offer, and shows the saving in /v1/usage and the statement', async () => {
    oai.usage = { prompt: 1000, completion: 100, cached: 0 };
    const saver = 'acct-savings';
    const key = await router.createKey(saver);
    const res = await router
      .client(key)
      .chat.completions.create({ model: 'acme/two-prices', messages: [{ role: 'user', content: 'x'.repeat(1100) }] })
      .withResponse();
    expect(res.response.headers.get('x-ctr-provider')).toBe('oai');
    const record = await usageEventFor(router, saver, res.response.headers.get('x-request-id')!);
    // Billed: 1000 × $1/M + 100 × $2/M = $0.0012; at the Anthropic offer: 1000 × $3/M + 100 × $6/M = $0.0036.
    expect(record).toMatchObject({ costNanoUsd: 1_200_000, referenceCostNanoUsd: 3_600_000 });
    const usage = (await (await fetch(`${router.baseUrl}/usage?by=model`, { headers: { authorization: `Bearer ${key}` } })).json()) as {
      data: Array<{ group: string; costUsd: number; savingsUsd: number; referenceCostNanoUsd: number }>;
    };
    expect(usage.data).toEqual([
      expect.objectContaining({ group: 'acme/two-prices', costUsd: 0.0012, savingsUsd: 0.0024, referenceCostNanoUsd: 3_600_000 }),
    ]);
    const statement = await router.accounts.statement(saver, record.at.slice(0, 7));
    expect(statement.totalCostNanoUsd).toBe(1_200_000);
    expect(statement.totalReferenceCostNanoUsd).toBe(3_600_000);
    expect(statement.lines[0]).toMatchObject({ model: 'acme/two-prices', referenceCostNanoUsd: 3_600_000 });
  });
});
