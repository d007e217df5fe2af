/**
 * What the routes that call providers (chat, embeddings) say when an attempt fails: one log line
 * of ids and codes, the upstream's own request error (4xx) passed back, or a 502 after the last
 * offer. Messages name providers, statuses and codes only, never content.
 */
import { ApiError, type ErrorBody } from './errors';
import type { Logger } from './log';
import type { RouteCandidate } from './routing';
import type { UpstreamError } from '../providers/types';

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

/** A request error the upstream rejected (not retried elsewhere): its status, and its OpenAI-shape body when it sent one. */
export function upstreamRejected(err: UpstreamError, requestId: string): ApiError {
  const body = err.upstreamBody as ErrorBody | undefined;
  const status = err.status && err.status >= 400 && err.status < 500 ? err.status : 502;
  const override =
    body && typeof body === 'object' && body.error && typeof body.error.message === 'string'
      ? { error: { message: body.error.message, type: body.error.type ?? 'invalid_request_error', param: body.error.param ?? null, code: body.error.code ?? null } }
      : undefined;
  return new ApiError(status, `The provider rejected the request: ${err.message}.`, 'invalid_request_error', null, 'upstream_rejected', { 'x-request-id': requestId }, override);
}

/** Every offer tried failed. */
export function allProvidersFailed(attempts: number, lastError: UpstreamError | undefined, requestId: string): ApiError {
  return new ApiError(502, `All ${attempts} provider attempt(s) failed; last: ${lastError?.message ?? 'no attempt'}.`, 'upstream_error', null, 'all_providers_failed', {
    'x-request-id': requestId,
  });
}
