/**
 * What the routes that call providers (chat, embeddings) say when an attempt fails: one log line
 * of ids and codes, the upstream's own request error (4xx) passed back, or a 502 after the last
 * offer. Messages name providers, statuses and codes only, never content.
 */

import { RouterError, type UpstreamError } from '../domain/errors';
import type { ErrorBody } from '../domain/openai';
import type { Logger } from './log';
import { processMetrics, recordFallback } from './metrics';
import type { RouteCandidate } from './routing';

export function logAttemptFailure(log: Logger, requestId: string, candidate: RouteCandidate, attempt: number, err: UpstreamError): void {
  // A client that left is not a provider failure: keep it out of the per-provider failure metric.
  const aborted = err.reason === 'aborted';
  log.log(aborted ? 'info' : 'warn', aborted ? 'upstream attempt abandoned' : 'upstream attempt failed', {
    requestId,
    provider: candidate.offer.provider.id,
    upstreamModel: candidate.offer.upstreamModel,
    attempt,
    reason: err.reason,
    upstreamStatus: err.status,
  });
  if (!aborted) recordFallback(processMetrics(), { model: candidate.model.id, provider: candidate.offer.provider.id });
}

/** A request error the upstream rejected (not retried elsewhere): its status, and its own OpenAI-shape error when it sent one. */
export function upstreamRejected(err: UpstreamError, requestId: string): RouterError {
  const body = err.upstreamBody as ErrorBody | undefined;
  const upstreamError =
    body && typeof body === 'object' && body.error && typeof body.error.message === 'string'
      ? {
          message: body.error.message,
          type: body.error.type ?? 'invalid_request_error',
          param: body.error.param ?? null,
          code: body.error.code ?? null,
        }
      : undefined;
  return new RouterError('upstream_rejected', `The provider rejected the request: ${err.message}.`, {
    code: 'upstream_rejected',
    requestId,
    upstreamStatus: err.status,
    upstreamError,
  });
}

/**
 * Every offer tried failed. With a retry hint (the time until an offer is tried again) the router
 * is unavailable for this request for now (503 + Retry-After); without one (the client left) it is
 * a plain upstream failure.
 */
export function allProvidersFailed(
  attempts: number,
  lastError: UpstreamError | undefined,
  requestId: string,
  retryAfterSeconds?: number,
): RouterError {
  return new RouterError(
    retryAfterSeconds === undefined ? 'upstream_failed' : 'unavailable',
    `All ${attempts} provider attempt(s) failed; last: ${lastError?.message ?? 'no attempt'}.`,
    {
      code: 'all_providers_failed',
      requestId,
      ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
    },
  );
}

/** The providers of every offer asked to be left alone: a 429 that passes their Retry-After on. */
export function providersRateLimited(retryAfterSeconds: number, requestId: string, attempts = 0): RouterError {
  const tried = attempts ? `the ${attempts} offer(s) tried answered 429` : 'every offer is rate-limited by its provider';
  return new RouterError(
    'rate_limited',
    `The providers for this request are rate-limiting it: ${tried}. Retry after ${retryAfterSeconds} s.`,
    {
      code: 'providers_rate_limited',
      requestId,
      retryAfterSeconds,
    },
  );
}
