/**
 * The one attempt loop of every route that calls providers (chat, embeddings): order the route
 * by offer health (benched offers left out, open breakers last), reserve the request's worst case
 * once, call offers in that order, fall back on retryable upstream failures before anything
 * reached the client, skip offers that cannot express the request, record each outcome for the
 * breakers, and make sure every way out of the loop is metered exactly once.
 */
import type { Caller } from '../domain/caller';
import { RouterError, UnsupportedByOffer, UpstreamError } from '../domain/errors';
import type { LimitsPort, ProviderAdapter, ProviderCallContext } from '../domain/ports';
import type { ProviderSettings } from '../domain/provider';
import type { UpstreamFetch } from '../domain/upstream';
import { allProvidersFailed, logAttemptFailure, providersRateLimited, upstreamRejected } from './attempt-failures';
import type { HealthMonitor } from './health';
import type { Logger } from './log';
import type { RequestTrace } from './request-trace';
import type { RouteCandidate } from './routing';

/** What the loop needs from the runtime. */
export interface AttemptDeps {
  adapterFor(provider: ProviderSettings): ProviderAdapter;
  apiKeyFor(provider: ProviderSettings): string | undefined;
  fetch: UpstreamFetch;
  limits?: LimitsPort;
  /** Offer health; absent, routes keep their order and nothing is learned. */
  health?: HealthMonitor;
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
  const { health } = deps;
  const reasons: UnsupportedByOffer[] = [];
  let lastError: UpstreamError | undefined;
  let rateLimited: UpstreamError | undefined;
  const { ordered, benched } = health ? health.arrange(plan.route) : { ordered: [...plan.route], benched: [] };
  if (ordered.length === 0) {
    // Every offer is benched by its provider's Retry-After: answer at once, nothing called, nothing billed.
    throw providersRateLimited(Math.min(...benched.map((b) => b.retryAfterSeconds)), trace.requestId);
  }
  for (const candidate of ordered) {
    const adapter = deps.adapterFor(candidate.offer.provider);
    const skipped = plan.skip?.(candidate, adapter);
    if (skipped) {
      reasons.push(skipped);
      continue;
    }
    if (deps.limits && !trace.reservation) {
      // Reserve once, at the most expensive candidate's worst case, so a fallback never overspends.
      const worst = Math.max(...plan.route.map((r) => r.maxCostNano));
      const t = performance.now();
      try {
        trace.reservation = await deps.limits.reserve(plan.caller, trace.requestId, worst, plan.maxTokens);
      } finally {
        trace.timed('store', t);
      }
    }
    // The attempt's own signal, aborted by the router (silence bound) or when the client goes away.
    const abort = new AbortController();
    const follow = () => abort.abort(plan.clientSignal.reason);
    if (plan.clientSignal.aborted) follow();
    else plan.clientSignal.addEventListener('abort', follow, { once: true });
    const ctx: ProviderCallContext = {
      provider: candidate.offer.provider,
      apiKey: deps.apiKeyFor(candidate.offer.provider),
      signal: abort.signal,
      fetch: deps.fetch,
    };
    const startedAt = trace.clock();
    const t = performance.now();
    try {
      const value = await plan.call({ candidate, adapter, ctx, abort });
      trace.timed('upstream', t);
      trace.attempts++;
      trace.served = candidate;
      trace.answered = { startedAt };
      return { candidate, value };
    } catch (err) {
      if (err instanceof UnsupportedByOffer) {
        // Nothing was sent upstream: try the next offer without counting an attempt.
        reasons.push(err);
        continue;
      }
      trace.timed('upstream', t);
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
      if (err.retryable) {
        const limited = err.status === 429;
        if (limited) rateLimited = err;
        health?.record({
          offerId: candidate.offer.id,
          ok: false,
          failure: limited ? 'rate_limited' : err.reason === 'timeout' ? 'timeout' : 'error',
          retryAfterSeconds: err.retryAfterSeconds,
        });
        // Shared in the background (at most every syncMs), so failures reach other instances even when nothing answers.
        void health?.sync();
      }
      if (!err.retryable) {
        await trace.fail('upstream_rejected');
        throw upstreamRejected(err, trace.requestId);
      }
    }
  }
  if (trace.attempts === 0) {
    // Nothing was sent anywhere: release the hold (a failure here leaves it to expire) and say why.
    await trace.reservation?.settle(0, 0).catch(() => undefined);
    throw (
      plan.noneCalled?.(reasons) ??
      reasons.at(-1) ??
      new RouterError('no_eligible_offer', 'No provider can serve this request.', { param: 'model', code: 'no_eligible_offer' })
    );
  }
  if (lastError?.reason === 'aborted') {
    // The client left while the provider was working: like a stream cut short, chat bills the estimate (flagged as such).
    if (plan.billAbandoned !== false) {
      trace.status = 'client_closed';
      await trace.finish();
    } else await trace.fail('client_closed');
    throw allProvidersFailed(trace.attempts, lastError, trace.requestId);
  }
  await trace.fail('upstream_error');
  // Every offer failed: tell the client when to come back. A provider's own rate limit is passed on
  // as a 429 with its Retry-After; otherwise a 503 with the time until an offer is tried again.
  const ids = plan.route.map((c) => c.offer.id);
  const wait = health?.retryAfterSeconds(ids);
  if (rateLimited) throw providersRateLimited(rateLimited.retryAfterSeconds ?? wait ?? 1, trace.requestId, trace.attempts);
  throw allProvidersFailed(trace.attempts, lastError, trace.requestId, wait ?? 1);
}
