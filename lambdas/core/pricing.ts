/**
 * Cost arithmetic. Money is integer: prices are held as pico-USD per token (1 USD per million
 * tokens = 1,000,000 pico-USD per token), costs are summed exactly in pico-USD and reported in
 * nano-USD, rounded up once per request. Floats appear only at the API edge (`usage.cost`, USD).
 */
import type { OfferConfig } from './config';
import type { NormalizedUsage } from '../domain/usage';

/** Prices of one offer in pico-USD per token (integers). */
export interface OfferPrice {
  input: number;
  output: number;
  cachedInput: number;
  cacheWrite: number;
}

/** Converts USD per million tokens (config) to integer pico-USD per token. */
export function usdPerMillionToPico(usdPerMillion: number): number {
  return Math.round(usdPerMillion * 1e6);
}

export function offerPrice(price: OfferConfig['price']): OfferPrice {
  const input = usdPerMillionToPico(price.input);
  return {
    input,
    output: usdPerMillionToPico(price.output),
    cachedInput: price.cachedInput === undefined ? input : usdPerMillionToPico(price.cachedInput),
    cacheWrite: price.cacheWrite === undefined ? input : usdPerMillionToPico(price.cacheWrite),
  };
}

/** The exact cost of a usage in pico-USD. Cached-read and cache-write tokens are priced at their own rates, never twice. */
export function costPico(usage: NormalizedUsage, price: OfferPrice): bigint {
  const uncachedInput = Math.max(0, usage.promptTokens - usage.cachedReadTokens - usage.cacheWriteTokens);
  return (
    BigInt(uncachedInput) * BigInt(price.input) +
    BigInt(usage.cachedReadTokens) * BigInt(price.cachedInput) +
    BigInt(usage.cacheWriteTokens) * BigInt(price.cacheWrite) +
    BigInt(usage.completionTokens) * BigInt(price.output)
  );
}

/** Rounds pico-USD up to whole nano-USD. */
export function picoToNano(pico: bigint): number {
  return Number((pico + 999n) / 1000n);
}

/**
 * The cost of a usage in integer nano-USD.
 *
 * @example
 * costNanoUsd({ promptTokens: 1000, completionTokens: 100, cachedReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 },
 *   offerPrice({ input: 0.15, output: 0.6 })) // 210_000 (= $0.00021)
 */
export function costNanoUsd(usage: NormalizedUsage, price: OfferPrice): number {
  return picoToNano(costPico(usage, price));
}

/** Upper bound of a request's cost in nano-USD: all prompt tokens uncached plus the full output allowance. */
export function maxCostNanoUsd(promptTokens: number, maxOutputTokens: number, price: OfferPrice): number {
  const worstInput = Math.max(price.input, price.cacheWrite, price.cachedInput);
  return picoToNano(BigInt(promptTokens) * BigInt(worstInput) + BigInt(maxOutputTokens) * BigInt(price.output));
}
