/**
 * Cost arithmetic: the one price function billing and routing estimates share. Money is integer:
 * prices are held as pico-USD per token (1 USD per million tokens = 1,000,000 pico-USD per token),
 * costs are summed exactly in pico-USD (bigint) and reported in nano-USD, rounded up once per
 * request. Floats appear only at the API edge (`usage.cost`, USD).
 *
 * Price shapes follow the maintained price data (`@pydantic/genai-prices`) exactly:
 * - a tiered rate applies one price to *all* tokens of its kind, the price of the highest tier
 *   whose `start` the request's total prompt tokens (cached included) exceed (`>`, not `>=`);
 * - cache reads and cache writes are carved out of the prompt and priced at their own rates
 *   (the input rate when the offer has none);
 * - reasoning tokens are part of the output; an offer with a reasoning rate prices them apart;
 * - a per-request fee is added once per request.
 */

import type { NormalizedUsage } from '../domain/usage';
import type { OfferConfig } from './config';

/** A rate in pico-USD per token: a base price, raised to a tier's price above the tier's prompt-size start. */
export interface Rate {
  readonly base: number;
  /** Sorted by `start`; empty for a flat rate. */
  readonly tiers: readonly { readonly start: number; readonly price: number }[];
}

/** Prices of one offer in pico-USD per token (integers). `input`…`cacheWrite` are the base (lowest-tier) prices. */
export interface OfferPrice {
  input: number;
  output: number;
  cachedInput: number;
  cacheWrite: number;
  rates: { readonly input: Rate; readonly output: Rate; readonly cachedInput: Rate; readonly cacheWrite: Rate; readonly reasoning: Rate };
  /** Fee per request in pico-USD. */
  perRequest: number;
}

/** Converts USD per million tokens (config) to integer pico-USD per token. */
export function usdPerMillionToPico(usdPerMillion: number): number {
  return Math.round(usdPerMillion * 1e6);
}

type RateConfig = number | { base: number; tiers: readonly { start: number; price: number }[] };

function toRate(r: RateConfig): Rate {
  if (typeof r === 'number') return { base: usdPerMillionToPico(r), tiers: [] };
  return {
    base: usdPerMillionToPico(r.base),
    tiers: [...r.tiers].sort((a, b) => a.start - b.start).map((t) => ({ start: t.start, price: usdPerMillionToPico(t.price) })),
  };
}

/** The price of a rate for a request with `promptTokens` input tokens in total. */
export function rateAt(rate: Rate, promptTokens: number): number {
  let price = rate.base;
  for (const t of rate.tiers) if (promptTokens > t.start) price = t.price;
  return price;
}

/** Builds an offer's integer prices from its config (USD per million tokens, USD per thousand requests). */
export function offerPrice(price: OfferConfig['price']): OfferPrice {
  const input = toRate(price.input);
  const output = toRate(price.output);
  const cachedInput = price.cachedInput === undefined ? input : toRate(price.cachedInput);
  const cacheWrite = price.cacheWrite === undefined ? input : toRate(price.cacheWrite);
  const reasoning = price.reasoning === undefined ? output : toRate(price.reasoning);
  return {
    input: input.base,
    output: output.base,
    cachedInput: cachedInput.base,
    cacheWrite: cacheWrite.base,
    rates: { input, output, cachedInput, cacheWrite, reasoning },
    // USD per thousand requests → pico-USD per request.
    perRequest: Math.round((price.perThousandRequests ?? 0) * 1e9),
  };
}

/** The exact cost of a usage in pico-USD. Cached-read and cache-write tokens are priced at their own rates, never twice. */
export function costPico(usage: NormalizedUsage, price: OfferPrice): bigint {
  const p = usage.promptTokens;
  const r = price.rates;
  const uncachedInput = Math.max(0, p - usage.cachedReadTokens - usage.cacheWriteTokens);
  const reasoning = Math.min(usage.reasoningTokens, usage.completionTokens);
  return (
    BigInt(uncachedInput) * BigInt(rateAt(r.input, p)) +
    BigInt(usage.cachedReadTokens) * BigInt(rateAt(r.cachedInput, p)) +
    BigInt(usage.cacheWriteTokens) * BigInt(rateAt(r.cacheWrite, p)) +
    BigInt(usage.completionTokens - reasoning) * BigInt(rateAt(r.output, p)) +
    BigInt(reasoning) * BigInt(rateAt(r.reasoning, p)) +
    BigInt(price.perRequest)
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

/** The routing estimate of a request: its prompt uncached and the expected output, priced by `costNanoUsd` itself (tiers included). */
export function estimateCostNanoUsd(promptTokens: number, outputTokens: number, price: OfferPrice): number {
  return costNanoUsd({ promptTokens, completionTokens: outputTokens, cachedReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 }, price);
}

/**
 * Upper bound of a request's cost in nano-USD: every prompt token at the dearest input-side rate
 * and the full output allowance at the dearer of the output and reasoning rates, each at the dearest
 * tier a prompt of at most `promptTokens` tokens can reach.
 */
export function maxCostNanoUsd(promptTokens: number, maxOutputTokens: number, price: OfferPrice): number {
  const r = price.rates;
  const worst = (rate: Rate) => Math.max(rate.base, ...rate.tiers.filter((t) => promptTokens > t.start).map((t) => t.price));
  const worstInput = Math.max(worst(r.input), worst(r.cacheWrite), worst(r.cachedInput));
  const worstOutput = Math.max(worst(r.output), worst(r.reasoning));
  return picoToNano(BigInt(promptTokens) * BigInt(worstInput) + BigInt(maxOutputTokens) * BigInt(worstOutput) + BigInt(price.perRequest));
}
