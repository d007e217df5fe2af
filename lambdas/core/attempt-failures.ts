/**
 * What the routes that call providers (chat, embeddings) say when an attempt fails: one log line
 * of ids and codes, the upstream's own request error (4xx) passed back, or a 502 after the last
 * offer. Messages name providers, statuses and codes only, never content.
 */
import type { Logger } from './log';
import type { RouteCandidate } from './routing';
import { RouterError, type UpstreamError } from '../domain/errors';
import type { ErrorBody } from '../domain/openai';

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
}

/** A request error the upstream rejected (not retried elsewhere): its status, and its own OpenAI-shape error when it sent one. */
export function upstreamRejected(err: UpstreamError, requestId: string): RouterError {
  const body = err.upstreamBody as ErrorBody | undefined;
  const upstreamError =
    body && typeof body === 'object' && body.error && typeof body.error.message === 'string'
      ? { message: body.error.message, type: body.error.type ?? 'invalid_request_error', param: body.error.param ?? null, code: body.error.code ?? null }
      : undefined;
  return new RouterError('upstream_rejected', `The provider rejected the request: ${err.message}.`, {
    code: 'upstream_rejected',
    requestId,
    upstreamStatus: err.status,
    upstreamError,
  });
}

/** Every offer tried failed. */
export function allProvidersFailed(attempts: number, lastError: UpstreamError | undefined, requestId: string): RouterError {
  return new RouterError('upstream_failed', `All ${attempts} provider attempt(s) failed; last: ${lastError?.message ?? 'no attempt'}.`, {
    code: 'all_providers_failed',
    requestId,
  });
}
