import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { costNanoUsd, costPico, maxCostNanoUsd, offerPrice, usdPerMillionToPico } from '../../lambdas/core/pricing';
import { nanoToUsd } from '../../lambdas/domain/money';

const usage = (p: number, c: number, cached = 0, write = 0, reasoning = 0) => ({
  promptTokens: p,
  completionTokens: c,
  cachedReadTokens: cached,
  cacheWriteTokens: write,
  reasoningTokens: reasoning,
});

describe('cost arithmetic', () => {
  it('converts USD per million tokens to integer pico-USD per token', () => {
    expect(usdPerMillionToPico(0.59)).toBe(590_000);
    expect(usdPerMillionToPico(0.0375)).toBe(37_500);
    expect(usdPerMillionToPico(15)).toBe(15_000_000);
  });

  it('prices prompt and completion tokens exactly', () => {
    // gpt-4o-mini: $0.15 / $0.60 per M → 1000 prompt + 100 completion = $0.00015 + $0.00006
    expect(costNanoUsd(usage(1000, 100), offerPrice({ input: 0.15, output: 0.6 }))).toBe(210_000);
  });

  it('prices cached-read tokens at the cached rate, once', () => {
    const price = offerPrice({ input: 0.15, output: 0.6, cachedInput: 0.075 });
    // 1000 prompt of which 600 cached: 400 × 0.15 + 600 × 0.075 = 60 000 + 45 000 pico×1000
    expect(costPico(usage(1000, 0, 600), price)).toBe(400n * 150_000n + 600n * 75_000n);
    expect(costNanoUsd(usage(1000, 0, 600), price)).toBe(105_000);
  });

  it('prices cache writes at the cache-write rate (Anthropic style)', () => {
    const price = offerPrice({ input: 0.8, output: 4, cachedInput: 0.08, cacheWrite: 1 });
    // 3000 prompt = 1000 uncached + 1500 read + 500 written, 200 out
    expect(costPico(usage(3000, 200, 1500, 500), price)).toBe(1000n * 800_000n + 1500n * 80_000n + 500n * 1_000_000n + 200n * 4_000_000n);
  });

  it('does not charge reasoning tokens twice (they are part of completion tokens)', () => {
    const price = offerPrice({ input: 1, output: 4 });
    expect(costNanoUsd(usage(10, 100, 0, 0, 80), price)).toBe(costNanoUsd(usage(10, 100), price));
  });

  it('defaults cached and cache-write prices to the input price', () => {
    const price = offerPrice({ input: 0.5, output: 1 });
    expect(price.cachedInput).toBe(500_000);
    expect(price.cacheWrite).toBe(500_000);
  });

  it('rounds up to the nano-dollar once per request and reports USD exactly', () => {
    const price = offerPrice({ input: 0.0001, output: 0 }); // 100 pico per token
    expect(costNanoUsd(usage(1, 0), price)).toBe(1);
    expect(costNanoUsd(usage(10, 0), price)).toBe(1);
    expect(costNanoUsd(usage(11, 0), price)).toBe(2);
    expect(nanoToUsd(8400)).toBe(0.0000084);
  });

  it('is additive and never negative (property)', () => {
    fc.assert(
      fc.property(
        fc.nat(2_000_000),
        fc.nat(200_000),
        fc.nat(100),
        fc.integer({ min: 0, max: 100_000_000 }),
        fc.integer({ min: 0, max: 100_000_000 }),
        (p, c, cachedPct, inPico, outPico) => {
          const cached = Math.floor((p * cachedPct) / 100);
          const price = offerPrice({
            input: inPico / 1e6,
            output: outPico / 1e6,
            cachedInput: Math.floor(inPico / 2) / 1e6,
            cacheWrite: inPico / 1e6,
          });
          const total = costPico(usage(p, c, cached), price);
          expect(total).toBe(costPico(usage(p, 0, cached), price) + costPico(usage(0, c), price));
          expect(total >= 0n).toBe(true);
          expect(BigInt(maxCostNanoUsd(p, c, price)) * 1000n >= total).toBe(true);
        },
      ),
    );
  });
});
