/**
 * The one attempt loop of every route that calls providers (chat, embeddings): reserve the
 * request's worst case once, call offers in route order, fall back on retryable upstream failures
 * before anything reached the client, skip offers that cannot express the request, and make sure
 * every way out of the loop is metered exactly once.
 */
import type { Caller } from '../domain/caller';
import { RouterError, UnsupportedByOffer, UpstreamError } from '../domain/errors';
import type { LimitsPort, ProviderAdapter, ProviderCallContext } from '../domain/ports';
import type { ProviderSettings } from '../domain/provider';
import { allProvidersFailed, logAttemptFailure, upstreamRejected } from './attempt-failures';
import type { Logger } from './log';
import type { RequestTrace } from './request-trace';
import type { RouteCandidate } from './routing';

/** What the loop needs from the runtime. */
export interface AttemptDeps {
  adapterFor(provider: ProviderSettings): ProviderAdapter;
  apiKeyFor(provider: ProviderSettings): string | undefined;
  fetch: typeof fetch;
  limits?: LimitsPort;
  log: Logger;
}

/** One attempt's inputs: the offer, its adapter and the call context (its signal ends with the client or the attempt). */
export interface Attempt {
  candidate: RouteCandidate;
  adapter: ProviderAdapter;
  ctx: ProviderCallContext;
  /** Aborts this attempt alone (a stream gone silent). */
  abort: AbortController;
}

export interface AttemptPlan<T> {
  route: readonly RouteCandidate[];
  trace: RequestTrace;
  caller: Caller;
  clientSignal: AbortSignal;
  /** Tokens to hold in the rate windows: the prompt's upper bound plus the largest output allowance. */
  maxTokens: number;
  /** Offers to pass over without calling them, with the reason (e.g. an adapter without embeddings). */
  skip?(candidate: RouteCandidate, adapter: ProviderAdapter): UnsupportedByOffer | undefined;
  /** Calls one offer; throws `UpstreamError` on failure, `UnsupportedByOffer` if it cannot express the request. */
  call(attempt: Attempt): Promise<T>;
  /** Whether a request whose client left mid-call is billed the prompt estimate (chat) or nothing (embeddings). */
  billAbandoned?: boolean;
  /** The error when no offer was called at all; defaults to the last offer's reason. */
  noneCalled?(reasons: UnsupportedByOffer[]): RouterError;
}

/**
 * Runs the plan's attempts and returns the first answer with the offer that gave it. Failures
 * are recorded on the trace and metered before the error is thrown; an answer is metered by its
 * pipeline once the client has it.
 *
 * @example
 * const { candidate, value } = await runAttempts(deps, { route, trace, caller, clientSignal, maxTokens, call: (a) => a.adapter.chat(req, a.ctx) });
 */
export async function runAttempts<T>(deps: AttemptDeps, plan: AttemptPlan<T>): Promise<{ candidate: RouteCandidate; value: T }> {
  const { trace } = plan;
  const reasons: UnsupportedByOffer[] = [];
  let lastError: UpstreamError | undefined;
  for (const candidate of plan.route) {
    const adapter = deps.adapterFor(candidate.offer.provider);
    const skipped = plan.skip?.(candidate, adapter);
    if (skipped) {
      reasons.push(skipped);
      continue;
    }
    if (deps.limits && !trace.reservation) {
      // Reserve once, at the most expensive candidate's worst case, so a fallback never overspends.
      const worst = Math.max(...plan.route.map((r) => r.maxCostNano));
      trace.reservation = await deps.limits.reserve(plan.caller, trace.requestId, worst, plan.maxTokens);
    }
    const abort = new AbortController();
    const ctx: ProviderCallContext = {
      provider: candidate.offer.provider,
      apiKey: deps.apiKeyFor(candidate.offer.provider),
      signal: AbortSignal.any([plan.clientSignal, abort.signal]),
      fetch: deps.fetch,
    };
    try {
      const value = await plan.call({ candidate, adapter, ctx, abort });
      trace.attempts++;
      trace.served = candidate;
      return { candidate, value };
    } catch (err) {
      if (err instanceof UnsupportedByOffer) {
        // Nothing was sent upstream: try the next offer without counting an attempt.
        reasons.push(err);
        continue;
      }
      trace.attempts++;
      trace.served = candidate;
      if (!(err instanceof UpstreamError)) {
        // Nothing says the provider produced anything: record the request without billing a guess.
        await trace.fail('router_error');
        throw err;
      }
      logAttemptFailure(deps.log, trace.requestId, candidate, trace.attempts, err);
      lastError = err;
      if (err.reason === 'aborted') break;
      if (!err.retryable) {
        await trace.fail('upstream_rejected');
        throw upstreamRejected(err, trace.requestId);
      }
    }
  }
  if (trace.attempts === 0) {
    // Nothing was sent anywhere: release the hold (a failure here leaves it to expire) and say why.
    await trace.reservation?.settle(0, 0).catch(() => undefined);
    throw plan.noneCalled?.(reasons) ?? reasons.at(-1) ?? new RouterError('no_eligible_offer', 'No provider can serve this request.', { param: 'model', code: 'no_eligible_offer' });
  }
  if (lastError?.reason === 'aborted' && plan.billAbandoned !== false) {
    // The client left while the provider was working: like a stream cut short, bill the estimate (flagged as such).
    trace.status = 'client_closed';
    await trace.finish();
  } else if (lastError?.reason === 'aborted') {
    await trace.fail('client_closed');
  } else {
    await trace.fail('upstream_error');
  }
  throw allProvidersFailed(trace.attempts, lastError, trace.requestId);
}
