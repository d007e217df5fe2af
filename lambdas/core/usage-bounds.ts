/**
 * Upstream usage is untrusted input. A provider's reported usage is validated (non-negative safe
 * integers, cached ≤ prompt, reasoning ≤ completion) and bounded by what the request could have
 * used: the prompt's strict upper bound and the output cap the router sent. Values outside are
 * clamped, billed as clamped, flagged on the usage record (`usageFlag`) and logged by field name
 * only. Nothing here throws.
 */

import type { NormalizedUsage } from '../domain/usage';
import type { Logger } from './log';

/** What the request could have used. */
export interface UsageBounds {
  /** A strict upper bound of the prompt tokens (tokens.ts `maxPromptTokens`, embeddings' byte count). */
  maxPromptTokens: number;
  /** The output cap the router set upstream (0 for embeddings). */
  maxOutputTokens: number;
}

/** `invalid`: a value was not a non-negative safe integer; `clamped`: a valid value exceeded its bound. */
export type UsageFlag = 'invalid' | 'clamped';

/** Usage as billed, with the flag the record carries when the upstream's report was out of bounds. */
export type BoundedUsage = NormalizedUsage & { usageFlag?: UsageFlag };

export interface UsageCheck {
  usage: BoundedUsage;
  /** The fields that were invalid or clamped (names only). */
  fields: Array<keyof NormalizedUsage>;
}

const FIELDS: Array<keyof NormalizedUsage> = [
  'promptTokens',
  'completionTokens',
  'cachedReadTokens',
  'cacheWriteTokens',
  'reasoningTokens',
];

/** A bound itself as a non-negative safe integer (a broken bound never widens what is billed). */
function safeBound(n: number): number {
  return Number.isFinite(n) && n > 0 ? Math.min(Math.floor(n), Number.MAX_SAFE_INTEGER) : 0;
}

/**
 * Validates and bounds one reported usage. Invalid values (not numbers, NaN, fractions, negative,
 * beyond 2^53) become the nearest valid value within bounds (fractions round up, negatives and
 * non-numbers become 0, huge values the bound); then prompt ≤ maxPromptTokens, completion ≤
 * maxOutputTokens, cachedRead + cacheWrite ≤ prompt, reasoning ≤ completion.
 *
 * @example
 * checkUsage({ promptTokens: 1e12, completionTokens: -3, cachedReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 },
 *   { maxPromptTokens: 100, maxOutputTokens: 50 }).usage // { promptTokens: 100, completionTokens: 0, …, usageFlag: 'invalid' }
 */
export function checkUsage(reported: unknown, bounds: UsageBounds): UsageCheck {
  const raw = (reported !== null && typeof reported === 'object' ? reported : {}) as Record<string, unknown>;
  const fields = new Set<keyof NormalizedUsage>();
  let invalid = false;
  const clean = {} as NormalizedUsage;
  for (const f of FIELDS) {
    const v = raw[f];
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) clean[f] = v;
    else {
      invalid = true;
      fields.add(f);
      if (typeof v !== 'number' || Number.isNaN(v) || v <= 0) clean[f] = 0;
      else clean[f] = Number.isFinite(v) && v < Number.MAX_SAFE_INTEGER ? Math.ceil(v) : Number.MAX_SAFE_INTEGER;
    }
  }
  let clamped = false;
  const clampTo = (f: keyof NormalizedUsage, max: number) => {
    if (clean[f] > max) {
      clean[f] = max;
      fields.add(f);
      clamped = true;
    }
  };
  clampTo('promptTokens', safeBound(bounds.maxPromptTokens));
  clampTo('completionTokens', safeBound(bounds.maxOutputTokens));
  clampTo('cachedReadTokens', clean.promptTokens);
  clampTo('cacheWriteTokens', clean.promptTokens - clean.cachedReadTokens);
  clampTo('reasoningTokens', clean.completionTokens);
  const usageFlag: UsageFlag | undefined = invalid ? 'invalid' : clamped ? 'clamped' : undefined;
  return { usage: usageFlag ? { ...clean, usageFlag } : clean, fields: [...fields] };
}

/**
 * `checkUsage`, logging an out-of-bounds report by request id and field names (never values of
 * content, never the request). The call site's one line where upstream usage enters.
 *
 * @example
 * trace.usage = boundedUsage(result.usage, { maxPromptTokens, maxOutputTokens }, deps.log, trace.requestId);
 */
export function boundedUsage(reported: unknown, bounds: UsageBounds, log: Logger, requestId: string): BoundedUsage {
  const { usage, fields } = checkUsage(reported, bounds);
  if (usage.usageFlag) log.log('warn', 'upstream usage out of bounds', { requestId, reason: `${usage.usageFlag}: ${fields.join(',')}` });
  return usage;
}

/**
 * The bounds of a chat attempt: the prompt's strict upper bound (routing's `maxPromptTokens`) and
 * the output cap sent upstream (the client's max_completion_tokens / max_tokens, or the one the
 * router set from the offer).
 */
export function chatUsageBounds(
  needs: { promptTokens: number; maxPromptTokens?: number },
  upstream: { max_completion_tokens?: number | null; max_tokens?: number | null },
  offerMaxOutput: number,
): UsageBounds {
  return {
    maxPromptTokens: needs.maxPromptTokens ?? needs.promptTokens,
    maxOutputTokens: upstream.max_completion_tokens ?? upstream.max_tokens ?? offerMaxOutput,
  };
}
