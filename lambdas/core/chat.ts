/**
 * POST /v1/chat/completions as a transport-agnostic pipeline: validate, route, call offers in
 * order with fallback before the first byte, and hand the transport a typed completion or a
 * stream of typed events. Metering happens once, when the transport calls `finish`.
 */
import type { Caller, RequestMeta } from '../domain/caller';
import { type ChatRequest, chatRequestSchema, validate } from '../domain/chat-request';
import type { UsageStore } from '../domain/ports';
import { type AttemptDeps, runAttempts } from './attempts';
import type { Catalog } from './catalog';
import { openStream, streamEvents } from './chat-stream';
import { systemFingerprint } from './ids';
import type { MeteringDeps } from './metering';
import { assertModelKind } from './model-kind';
import type { ChatOutcome, Served } from './outcome';
import { RequestTrace } from './request-trace';
import { chatNeeds, planRoute, type RouteCandidate, type RoutingContext } from './routing';
import { chatUsageBounds } from './usage-bounds';

export interface ChatDeps extends AttemptDeps, MeteringDeps {
  catalog: Catalog;
  usableProviders: ReadonlySet<string>;
  allowedJurisdictions?: readonly string[];
  allowedOfferRegions?: readonly string[];
  recordUsage: UsageStore['record'];
  now(): Date;
}

/** The routing constraints of the deployment (catalog, usable providers, residency, §7). */
export function routingContext(deps: ChatDeps): RoutingContext {
  return {
    catalog: deps.catalog,
    usableProviders: deps.usableProviders,
    allowedJurisdictions: deps.allowedJurisdictions,
    allowedOfferRegions: deps.allowedOfferRegions,
    health: deps.health,
  };
}

/** What the transport reports of the offer that served a request. */
export function servedBy(trace: RequestTrace, c: RouteCandidate, costNanoUsd?: number): Served {
  return {
    requestId: trace.requestId,
    provider: c.offer.provider.id,
    model: c.model.id,
    upstreamModel: c.offer.upstreamModel,
    attempts: trace.attempts,
    ...(trace.reservation ? { rateLimit: trace.reservation.rateLimit } : {}),
    ...(costNanoUsd !== undefined ? { costNanoUsd } : {}),
    timing: { ...trace.timing },
  };
}

/** The request sent to one offer: its upstream model id, and an output cap so the reservation bounds the cost. */
function upstreamRequest(request: ChatRequest, candidate: RouteCandidate): ChatRequest {
  return {
    ...request,
    model: candidate.offer.upstreamModel,
    ...(request.max_completion_tokens || request.max_tokens ? {} : { max_tokens: candidate.maxOutputTokens }),
  };
}

/**
 * Runs a validated chat request for an authenticated caller.
 *
 * @example
 * const outcome = await runChat(request, caller, deps, signal);
 * if (outcome.kind === 'completion') outcome.completion.usage?.cost; // USD, exact to the nano-dollar
 * await outcome.finish();
 */
export async function runChat(
  request: ChatRequest,
  caller: Caller,
  deps: ChatDeps,
  clientSignal: AbortSignal,
  meta: RequestMeta = {},
): Promise<ChatOutcome> {
  const planning = performance.now();
  assertModelKind(deps.catalog, request, 'chat');
  const needs = chatNeeds(request);
  const route = planRoute(request, needs, routingContext(deps));
  const trace = new RequestTrace(deps, caller, route[0]!.model.id, needs.promptTokens, Boolean(request.stream), meta);
  trace.timed('plan', planning);
  trace.route = route;
  const maxTokens = (needs.maxPromptTokens ?? needs.promptTokens) + Math.max(...route.map((r) => r.maxOutputTokens));
  const finish = () => trace.finish();

  const plan = { route, trace, caller, clientSignal, maxTokens };
  /** The request one offer is sent, with the usage bounds of that attempt. */
  const sentTo = (candidate: RouteCandidate): ChatRequest => {
    const sent = upstreamRequest(request, candidate);
    trace.usageBounds = chatUsageBounds(needs, sent, candidate.maxOutputTokens);
    return sent;
  };

  if (request.stream) {
    const { candidate, value: opened } = await runAttempts(deps, {
      ...plan,
      call: (a) => openStream(a.adapter, sentTo(a.candidate), a.ctx, a.abort, a.candidate.offer.provider),
    });
    return { kind: 'stream', served: servedBy(trace, candidate), events: streamEvents(trace, request, candidate, opened), finish };
  }

  const { candidate, value: result } = await runAttempts(deps, { ...plan, call: (a) => a.adapter.chat(sentTo(a.candidate), a.ctx) });
  trace.firstByteAt = trace.clock();
  trace.usage = trace.bounded(result.usage);
  const cost = trace.costOf(trace.usage);
  const completion = {
    ...result.completion,
    id: `chatcmpl-${trace.requestId}`,
    model: candidate.model.id,
    system_fingerprint: result.completion.system_fingerprint || systemFingerprint(candidate.offer.id),
    provider: candidate.offer.provider.id,
    usage: trace.openAIUsage(trace.usage),
  };
  return { kind: 'completion', served: servedBy(trace, candidate, cost), completion, finish };
}

/**
 * Validates a chat request body and runs it.
 *
 * @example
 * const outcome = await chatCompletion({ model: 'mock/echo-small', messages: [{ role: 'user', content: 'Hi' }] }, caller, deps, signal);
 */
export async function chatCompletion(
  body: unknown,
  caller: Caller,
  deps: ChatDeps,
  clientSignal: AbortSignal,
  meta: RequestMeta = {},
): Promise<ChatOutcome> {
  return runChat(validate(chatRequestSchema, body), caller, deps, clientSignal, meta);
}
