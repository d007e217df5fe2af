/**
 * The shipped catalog is generated: it must equal a fresh generation from the locked price data,
 * hold the breadth the README states, and price usage exactly as the price data's own calculator does.
 */
import { calcPrice } from '@pydantic/genai-prices';
import { describe, expect, it } from 'vitest';
import { catalogCounts } from '../../lambdas/catalog/cli';
import { buildCatalog } from '../../lambdas/catalog/config-file';
import { DEFAULT_CONFIG_PATH, parseConfig } from '../../lambdas/core/config';
import { costPico, offerPrice } from '../../lambdas/core/pricing';
import { defaultConfig } from '../helpers/config';

const shipped = defaultConfig();

describe('the shipped catalog', () => {
  it('equals what `npm run catalog` generates from the locked @pydantic/genai-prices data', async () => {
    const { raw } = await buildCatalog(DEFAULT_CONFIG_PATH);
    // Compared as parsed configs, so only content counts, not whitespace.
    expect(shipped.models).toEqual(parseConfig(raw).models);
  });

  it('covers at least 150 chat models on at least 12 providers, 40 of them on two or more', () => {
    const counts = catalogCounts(shipped.models);
    expect(counts.chatModels).toBeGreaterThanOrEqual(150);
    expect(counts.providers).toBeGreaterThanOrEqual(12);
    expect(counts.multiProviderChatModels).toBeGreaterThanOrEqual(40);
    expect(counts.embeddingModels).toBeGreaterThan(0);
  });

  it('names the price source and as-of date of every offer', () => {
    for (const m of shipped.models)
      for (const o of m.offers) {
        expect(o.source, `${m.id} @ ${o.provider}`).toBeDefined();
        if (o.source!.kind === 'price-data')
          expect(o.source).toMatchObject({ name: expect.stringMatching(/^@pydantic\/genai-prices@/), asOf: shipped.catalog!.asOf });
      }
  });

  it('holds the current model families with one model on several hosts (Llama 3.3 70B)', () => {
    const llama = shipped.models.find((m) => m.id === 'meta-llama/llama-3.3-70b-instruct');
    expect(new Set(llama?.offers.map((o) => o.provider))).toEqual(new Set(['groq', 'together', 'openrouter', 'novita', 'bedrock']));
    for (const id of ['openai/gpt-5.4', 'anthropic/claude-sonnet-4.5', 'google/gemini-2.5-pro', 'openai/text-embedding-3-small'])
      expect(
        shipped.models.some((m) => m.id === id),
        id,
      ).toBe(true);
  });
});

/** Usages on both sides of 128k and 200k prompt tokens, with cache reads and writes. */
const USAGES = [
  { promptTokens: 1_000, completionTokens: 200, cachedReadTokens: 0, cacheWriteTokens: 0 },
  { promptTokens: 12_345, completionTokens: 678, cachedReadTokens: 4_000, cacheWriteTokens: 2_000 },
  { promptTokens: 128_000, completionTokens: 1_000, cachedReadTokens: 100_000, cacheWriteTokens: 0 },
  { promptTokens: 128_001, completionTokens: 1_000, cachedReadTokens: 100_000, cacheWriteTokens: 0 },
  { promptTokens: 200_000, completionTokens: 3_000, cachedReadTokens: 50_000, cacheWriteTokens: 20_000 },
  { promptTokens: 200_001, completionTokens: 3_000, cachedReadTokens: 50_000, cacheWriteTokens: 20_000 },
  { promptTokens: 900_000, completionTokens: 9_999, cachedReadTokens: 0, cacheWriteTokens: 300_000 },
];

describe('generated prices agree with the price data’s own calculation', () => {
  const offers = shipped.models.flatMap((m) =>
    m.offers.filter((o) => o.source?.kind === 'price-data' && !o.source.note).map((o) => ({ model: m, offer: o })),
  );
  // Every tiered offer, every offer with a cache-write price, and every fifth of the rest.
  const sample = offers.filter(
    ({ offer }, i) => typeof offer.price.input === 'object' || offer.price.cacheWrite !== undefined || i % 5 === 0,
  );

  it('samples enough offers, tiered ones included', () => {
    expect(sample.length).toBeGreaterThan(100);
    expect(sample.filter(({ offer }) => typeof offer.price.input === 'object').length).toBeGreaterThan(5);
  });

  it('costPico equals calcPrice for every sampled offer and usage (to the float precision of calcPrice)', () => {
    const timestamp = new Date(`${shipped.catalog!.asOf}T12:00:00Z`);
    let compared = 0;
    for (const { model, offer } of sample) {
      const price = offerPrice(offer.price);
      for (const u of USAGES) {
        const usage = model.kind === 'embedding' ? { ...u, completionTokens: 0, cachedReadTokens: 0, cacheWriteTokens: 0 } : u;
        const ours = Number(costPico({ ...usage, reasoningTokens: 0 }, price)) / 1e12;
        const theirs = calcPrice(
          {
            input_tokens: usage.promptTokens,
            output_tokens: usage.completionTokens,
            cache_read_tokens: usage.cachedReadTokens,
            cache_write_tokens: usage.cacheWriteTokens,
          },
          offer.upstreamModel,
          { providerId: offer.source!.priceProvider!, timestamp },
        );
        expect(theirs, `${model.id} @ ${offer.provider}`).not.toBeNull();
        expect(Math.abs(ours - theirs!.total_price), `${model.id} @ ${offer.provider} ${JSON.stringify(usage)}`).toBeLessThanOrEqual(
          1e-9 * Math.max(1, theirs!.total_price),
        );
        compared++;
      }
    }
    expect(compared).toBe(sample.length * USAGES.length);
  });
});
