/**
 * POST /v1/embeddings as a transport-agnostic pipeline: validate, route through the same catalog
 * as chat (embedding models only), call offers through the same attempt loop as chat, and hand
 * the transport a typed result. Metering happens once, when the transport calls `finish`.
 */
import type { Caller, RequestMeta } from '../domain/caller';
import { type EmbeddingsRequest, embeddingsRequestSchema, validate } from '../domain/chat-request';
import { RouterError, UnsupportedByOffer } from '../domain/errors';
import type { EmbeddingResponse } from '../domain/openai';
import { runAttempts } from './attempts';
import { type ChatDeps, routingContext, servedBy } from './chat';
import { encodeEmbeddings } from './embedding-encoding';
import { assertModelKind } from './model-kind';
import type { EmbeddingsOutcome } from './outcome';
import { RequestTrace } from './request-trace';
import { planRoute, type RequestNeeds } from './routing';
import { estimateEmbeddingTokens } from './tokens';

/** Special tokens a model may add to each embeddings input. */
export const EMBEDDING_INPUT_OVERHEAD = 8;

/**
 * A strict upper bound of an embeddings request's input tokens, for budget reservations: byte-level
 * BPE tokenizers spend at most one token per UTF-8 byte; token-id inputs count themselves.
 */
export function maxEmbeddingTokens(request: EmbeddingsRequest): number {
  const items = typeof request.input === 'string' ? [request.input] : request.input;
  let tokens = 0;
  for (const item of items)
    tokens += typeof item === 'string' ? Buffer.byteLength(item, 'utf8') : typeof item === 'number' ? 1 : item.length;
  // Plus the special tokens (BOS/EOS, task prefixes) a model may add per input.
  return tokens + (typeof request.input === 'string' ? 1 : items.length) * EMBEDDING_INPUT_OVERHEAD;
}

/** What an embeddings request needs from an offer: its input fits the context; there is no output. */
export function embeddingNeeds(request: EmbeddingsRequest): RequestNeeds {
  return {
    promptTokens: estimateEmbeddingTokens(request),
    maxPromptTokens: maxEmbeddingTokens(request),
    requestedOutput: 0,
    tools: false,
    vision: false,
    jsonMode: false,
    structuredOutput: false,
  };
}

/**
 * Handles an embeddings request for an authenticated caller.
 *
 * @example
 * const outcome = await embeddings({ model: 'mock/embed-small', input: 'hello' }, caller, deps, signal);
 * outcome.response.usage.cost; // USD, exact to the nano-dollar
 * await outcome.finish();
 */
export async function embeddings(
  body: unknown,
  caller: Caller,
  deps: ChatDeps,
  signal: AbortSignal,
  meta: RequestMeta = {},
): Promise<EmbeddingsOutcome> {
  return runEmbeddings(validate(embeddingsRequestSchema, body), caller, deps, signal, meta);
}

/** Runs a validated embeddings request for an authenticated caller (the route validates in its middleware). */
export async function runEmbeddings(
  request: EmbeddingsRequest,
  caller: Caller,
  deps: ChatDeps,
  signal: AbortSignal,
  meta: RequestMeta = {},
): Promise<EmbeddingsOutcome> {
  const planning = performance.now();
  assertModelKind(deps.catalog, request, 'embedding');
  const needs = embeddingNeeds(request);
  const route = planRoute(request, needs, routingContext(deps));
  const trace = new RequestTrace(deps, caller, route[0]!.model.id, needs.promptTokens, false, meta);
  trace.timed('plan', planning);
  trace.route = route;
  const { candidate, value: result } = await runAttempts(deps, {
    route,
    trace,
    caller,
    clientSignal: signal,
    maxTokens: needs.maxPromptTokens ?? needs.promptTokens,
    billAbandoned: false,
    skip: (c, adapter) =>
      adapter.embeddings
        ? undefined
        : new UnsupportedByOffer(`provider ${c.offer.provider.id} (kind ${adapter.kind}) does not serve embeddings`, 'model'),
    // Providers are asked for floats; the client's encoding_format is applied here (embedding-encoding.ts).
    call: (a) => a.adapter.embeddings!({ ...request, encoding_format: undefined, model: a.candidate.offer.upstreamModel }, a.ctx),
    noneCalled: (reasons) =>
      new RouterError('no_eligible_offer', `No provider can serve this request: ${reasons.map((r) => r.message).join('; ')}.`, {
        param: 'model',
        code: 'no_eligible_offer',
      }),
  });
  trace.usageBounds = { maxPromptTokens: needs.maxPromptTokens ?? needs.promptTokens, maxOutputTokens: 0 };
  trace.usage = trace.bounded(result.usage);
  const cost = trace.costOf(trace.usage);
  const response: EmbeddingResponse = {
    ...encodeEmbeddings(result.response, request.encoding_format),
    model: candidate.model.id,
    provider: candidate.offer.provider.id,
    usage: { prompt_tokens: trace.usage.promptTokens, total_tokens: trace.usage.promptTokens, cost: trace.openAIUsage(trace.usage).cost },
  };
  return { kind: 'embeddings', served: servedBy(trace, candidate, cost), response, finish: () => trace.finish() };
}
