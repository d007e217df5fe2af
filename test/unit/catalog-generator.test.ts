/**
 * The generator's joins and reports, on small inputs: price-data lookup through the identity map,
 * date-conditional prices, missing prices reported (never guessed), overrides marked, diffs.
 */
import { waitForUpdate } from '@pydantic/genai-prices';
import { describe, expect, it } from 'vitest';
import { diffCatalog, formatDiff } from '../../lambdas/catalog/diff';
import { generateCatalog, priceProviderOf } from '../../lambdas/catalog/generate';
import type { IdentityEntry } from '../../lambdas/catalog/identity';
import { Catalog } from '../../lambdas/core/catalog';
import { parseConfig } from '../../lambdas/core/config';
import { costNanoUsd, costPico, maxCostNanoUsd, offerPrice } from '../../lambdas/core/pricing';
import { planRoute } from '../../lambdas/core/routing';

const data = (await waitForUpdate())!;

const providers = parseConfig({
  primaryRegion: 'us-east-1',
  providers: [
    { id: 'groq', kind: 'openai', preset: 'groq', credential: { env: 'G' } },
    { id: 'claude', kind: 'anthropic', credential: { env: 'A' } },
    { id: 'infra', kind: 'openai', preset: 'deepinfra', credential: { env: 'D' } },
    { id: 'bedrock', kind: 'bedrock', region: 'us-east-1' },
  ],
  models: [{ id: 'x', contextWindow: 1, maxOutput: 1, offers: [{ provider: 'groq', upstreamModel: 'x', price: { input: 1, output: 1 } }] }],
}).providers;

const caps = { tools: true, vision: false, jsonMode: true, structuredOutput: false };
const identity: IdentityEntry[] = [
  {
    id: 'meta-llama/llama-3.3-70b-instruct',
    kind: 'chat',
    contextWindow: 131072,
    maxOutput: 8192,
    capabilities: caps,
    hosts: { groq: 'llama-3.3-70b-versatile', aws: 'us.meta.llama3-3-70b-instruct-v1:0', deepinfra: 'meta-llama/Llama-3.3-70B-Instruct' },
  },
  {
    id: 'anthropic/claude-sonnet-4.6',
    kind: 'chat',
    contextWindow: 1_000_000,
    maxOutput: 64000,
    capabilities: caps,
    hosts: { anthropic: 'claude-sonnet-4-6' },
  },
  { id: 'acme/unknown', kind: 'chat', contextWindow: 8192, maxOutput: 1024, capabilities: caps, hosts: { groq: 'acme-unknown-model' } },
];

const run = (asOf: string, overrides: unknown[] = []) =>
  generateCatalog(
    {
      providers,
      catalog: parseConfig({
        primaryRegion: 'us-east-1',
        // Every provider the overrides name must be defined (config validation).
        providers: [
          { id: 'groq', kind: 'openai', preset: 'groq', credential: { env: 'G' } },
          { id: 'infra', kind: 'openai', preset: 'deepinfra', credential: { env: 'D' } },
        ],
        catalog: { asOf, overrides, customModels: [] },
        models: [
          { id: 'x', contextWindow: 1, maxOutput: 1, offers: [{ provider: 'groq', upstreamModel: 'x', price: { input: 1, output: 1 } }] },
        ],
      }).catalog!,
      identity,
      sourceName: '@pydantic/genai-prices@test',
    },
    data,
  );

describe('catalog generator', () => {
  it('maps router providers to price-data providers by kind and API URL', () => {
    expect(providers.map(priceProviderOf)).toEqual(['groq', 'anthropic', undefined, 'aws']);
  });

  it('joins the identity map with the price data: one model, several hosts, each offer naming its source', () => {
    const { models } = run('2026-11-28');
    const llama = models.find((m) => m.id === 'meta-llama/llama-3.3-70b-instruct')!;
    expect(llama.offers.map((o) => [o.provider, o.upstreamModel])).toEqual([
      ['groq', 'llama-3.3-70b-versatile'],
      ['bedrock', 'us.meta.llama3-3-70b-instruct-v1:0'],
    ]);
    expect(llama.offers[0]!.source).toEqual({
      kind: 'price-data',
      name: '@pydantic/genai-prices@test',
      asOf: '2026-11-28',
      priceProvider: 'groq',
      priceModel: 'llama-3.3-70b-versatile',
    });
  });

  it('reports what it cannot price instead of guessing: unknown providers, unknown models', () => {
    const { models, report } = run('2026-11-28');
    expect(report.unpricedProviders).toEqual(['infra']);
    expect(report.missingPrices).toContainEqual({
      model: 'acme/unknown',
      provider: 'groq',
      upstreamModel: 'acme-unknown-model',
      reason: 'not in the price data',
    });
    expect(report.modelsWithoutOffers).toEqual(['acme/unknown']);
    expect(models.some((m) => m.id === 'acme/unknown')).toBe(false);
  });

  it('takes date-conditional prices as of the catalog date (tiers before a price change, flat after)', () => {
    const before = run('2026-01-01').models.find((m) => m.id === 'anthropic/claude-sonnet-4.6')!.offers[0]!.price;
    const after = run('2026-06-01').models.find((m) => m.id === 'anthropic/claude-sonnet-4.6')!.offers[0]!.price;
    expect(before.input).toEqual({ base: 3, tiers: [{ start: 200000, price: 6 }] });
    expect(before.cacheWrite).toEqual({ base: 3.75, tiers: [{ start: 200000, price: 7.5 }] });
    expect(after.input).toBe(3);
  });

  it('applies operator overrides over the price data and marks them', () => {
    const { models } = run('2026-11-28', [
      { model: 'meta-llama/llama-3.3-70b-instruct', provider: 'groq', price: { input: 0.5, output: 0.7 }, reason: 'negotiated 2026-10' },
      {
        model: 'meta-llama/llama-3.3-70b-instruct',
        provider: 'infra',
        upstreamModel: 'private-llama',
        price: { input: 0.2, output: 0.2 },
        reason: 'private deployment',
      },
    ]);
    const llama = models.find((m) => m.id === 'meta-llama/llama-3.3-70b-instruct')!;
    expect(llama.offers.find((o) => o.provider === 'groq')).toMatchObject({
      price: { input: 0.5, output: 0.7 },
      source: { kind: 'override', note: 'negotiated 2026-10' },
    });
    expect(llama.offers.find((o) => o.provider === 'infra')).toMatchObject({
      upstreamModel: 'private-llama',
      source: { kind: 'override', note: 'private deployment' },
    });
  });

  it('diffs two generations: new offers, price moves up and down, removed models', () => {
    const a = run('2026-01-01').models;
    const b = structuredClone(run('2026-11-28').models);
    b.find((m) => m.id === 'meta-llama/llama-3.3-70b-instruct')!.offers[0]!.price.input = 9;
    const d = diffCatalog(
      a,
      b.filter((m) => m.id !== 'anthropic/claude-sonnet-4.6'),
    );
    expect(d.removedModels).toEqual(['anthropic/claude-sonnet-4.6']);
    expect(d.priceUp.some((m) => m.field === 'input' && m.to === 9)).toBe(true);
    expect(formatDiff(d)).toMatch(/Removed models \(1\)/);
    expect(formatDiff(diffCatalog(a, a))).toMatch(/No change/);
  });
});

describe('price shapes', () => {
  const u = (p: number, c: number, read = 0, write = 0, reasoning = 0) => ({
    promptTokens: p,
    completionTokens: c,
    cachedReadTokens: read,
    cacheWriteTokens: write,
    reasoningTokens: reasoning,
  });
  const tiered = offerPrice({
    input: { base: 3, tiers: [{ start: 200_000, price: 6 }] },
    output: { base: 15, tiers: [{ start: 200_000, price: 22.5 }] },
    cachedInput: { base: 0.3, tiers: [{ start: 200_000, price: 0.6 }] },
    cacheWrite: { base: 3.75, tiers: [{ start: 200_000, price: 7.5 }] },
  });

  it('prices the whole request at the tier its total prompt exceeds (> start, cached tokens included)', () => {
    expect(costPico(u(200_000, 1000, 50_000, 10_000), tiered)).toBe(
      140_000n * 3_000_000n + 50_000n * 300_000n + 10_000n * 3_750_000n + 1000n * 15_000_000n,
    );
    expect(costPico(u(200_001, 1000, 50_000, 10_000), tiered)).toBe(
      140_001n * 6_000_000n + 50_000n * 600_000n + 10_000n * 7_500_000n + 1000n * 22_500_000n,
    );
  });

  it('bounds the worst case at the dearest tier the prompt can reach', () => {
    expect(maxCostNanoUsd(200_001, 10, tiered)).toBe(Math.ceil((200_001 * 7_500_000 + 10 * 22_500_000) / 1000));
    expect(maxCostNanoUsd(100, 10, tiered)).toBe(Math.ceil((100 * 3_750_000 + 10 * 15_000_000) / 1000));
  });

  it('prices reasoning tokens apart when the offer has a reasoning rate, and adds a per-request fee once', () => {
    const p = offerPrice({ input: 1, output: 4, reasoning: 2, perThousandRequests: 5 });
    // 100 out of which 80 reasoning: 20 × 4 + 80 × 2 (µUSD) + $0.005 per request
    expect(costPico(u(10, 100, 0, 0, 80), p)).toBe(10n * 1_000_000n + 20n * 4_000_000n + 80n * 2_000_000n + 5_000_000_000n);
    expect(costNanoUsd(u(0, 0), p)).toBe(5_000_000);
  });

  it('routes by the estimated cost of this request, tiers included: a long prompt goes to the flat offer', () => {
    const catalog = new Catalog(
      parseConfig({
        primaryRegion: 'us-east-1',
        providers: [
          { id: 'flat', kind: 'openai', baseUrl: 'http://127.0.0.1:1', credential: { env: 'F' } },
          { id: 'tiered', kind: 'openai', baseUrl: 'http://127.0.0.1:2', credential: { env: 'T' } },
        ],
        models: [
          {
            id: 'acme/long',
            contextWindow: 1_000_000,
            maxOutput: 4096,
            offers: [
              { provider: 'flat', upstreamModel: 'f', price: { input: 4, output: 16 } },
              {
                provider: 'tiered',
                upstreamModel: 't',
                price: {
                  input: { base: 3, tiers: [{ start: 200_000, price: 6 }] },
                  output: { base: 15, tiers: [{ start: 200_000, price: 22.5 }] },
                },
              },
            ],
          },
        ],
      }),
    );
    const ctx = { catalog, usableProviders: new Set(['flat', 'tiered']) };
    const needs = (promptTokens: number) => ({
      promptTokens,
      requestedOutput: 1000,
      tools: false,
      vision: false,
      jsonMode: false,
      structuredOutput: false,
    });
    const short = planRoute({ model: 'acme/long' }, needs(10_000), ctx);
    const long = planRoute({ model: 'acme/long' }, needs(250_000), ctx);
    expect(short.map((c) => c.offer.provider.id)).toEqual(['tiered', 'flat']);
    expect(long.map((c) => c.offer.provider.id)).toEqual(['flat', 'tiered']);
    // The estimate is the billing function's price of the estimated usage: 250,000 × $6/M + 1000 × $22.5/M.
    expect(long[1]!.estimatedCostNano).toBe(costNanoUsd(u(250_000, 1000), offerPrice(catalog.config.models[0]!.offers[1]!.price)));
    expect(long[1]!.estimatedCostNano).toBe(1_522_500_000);
  });
});
