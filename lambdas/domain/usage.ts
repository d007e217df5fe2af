/**
 * Token usage and what one request's record carries. Counts, ids and timings only: nothing of a
 * prompt or a completion.
 */
import type { OpenAIUsage } from './openai';

/**
 * Token usage as the upstream reported it, normalized.
 * `promptTokens` counts every input token, including those read from or written to a prompt
 * cache (OpenAI's convention); `completionTokens` includes reasoning tokens.
 */
export interface NormalizedUsage {
  promptTokens: number;
  completionTokens: number;
  cachedReadTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
}

/** Usage all zero: the record of a request no provider billed. */
export const ZERO_USAGE: Readonly<NormalizedUsage> = {
  promptTokens: 0,
  completionTokens: 0,
  cachedReadTokens: 0,
  cacheWriteTokens: 0,
  reasoningTokens: 0,
};

/** Requests, tokens and cost: what usage events carry and every aggregate sums. */
export interface UsageTotals {
  requests: number;
  promptTokens: number;
  completionTokens: number;
  cachedReadTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
  costNanoUsd: number;
  /** What the same usage would have cost at the reference offer (the requested model's dearest eligible offer); savings = this − cost. */
  referenceCostNanoUsd: number;
}

export const ZERO_TOTALS: Readonly<UsageTotals> = {
  requests: 0,
  promptTokens: 0,
  completionTokens: 0,
  cachedReadTokens: 0,
  cacheWriteTokens: 0,
  reasoningTokens: 0,
  costNanoUsd: 0,
  referenceCostNanoUsd: 0,
};

/** Adds one usage event to a running total (in place). */
export function addEvent<T extends UsageTotals>(total: T, e: UsageEvent): T {
  total.requests++;
  total.promptTokens += e.promptTokens;
  total.completionTokens += e.completionTokens;
  total.cachedReadTokens += e.cachedReadTokens;
  total.cacheWriteTokens += e.cacheWriteTokens;
  total.reasoningTokens += e.reasoningTokens;
  total.costNanoUsd += e.costNanoUsd;
  // Records written before reference costs existed count as saving nothing.
  total.referenceCostNanoUsd += e.referenceCostNanoUsd ?? e.costNanoUsd;
  return total;
}

/** One request's record: ids, models, timings, and its tokens and cost (the totals of one request). */
export interface UsageEvent extends Omit<UsageTotals, 'requests'> {
  requestId: string;
  accountId: string;
  keyId: string;
  /** ISO time the request arrived. */
  at: string;
  requestedModel: string;
  servedModel: string;
  provider: string;
  upstreamModel: string;
  stream: boolean;
  latencyMs: number;
  /** Time to first token (streams) or to the full response. */
  ttftMs: number;
  /** `ok`, `client_closed`, `upstream_error` (failed mid-stream after tokens were spent). */
  status: string;
  /** `upstream` if the provider reported usage, `estimated` if it did not (see tokens.ts). */
  usageSource: 'upstream' | 'estimated';
  /** Set when the upstream's reported usage was out of bounds and was clamped before billing (core/usage-bounds.ts). */
  usageFlag?: 'invalid' | 'clamped';
  /** Offers tried before this one (fallbacks). */
  attempts: number;
  /** The caller's IP address (policy §2 usage data), sealed with the account's data key (§5). */
  ipSealed?: string;
}

export interface DailyAggregate extends UsageTotals {
  day: string;
}

/** OpenAI's usage object for a normalized usage. */
export function toOpenAIUsage(u: NormalizedUsage): OpenAIUsage {
  return {
    prompt_tokens: u.promptTokens,
    completion_tokens: u.completionTokens,
    total_tokens: u.promptTokens + u.completionTokens,
    prompt_tokens_details: { cached_tokens: u.cachedReadTokens, cache_write_tokens: u.cacheWriteTokens },
    completion_tokens_details: { reasoning_tokens: u.reasoningTokens },
  };
}
