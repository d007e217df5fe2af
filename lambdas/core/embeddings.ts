/**
 * POST /v1/embeddings, transport-agnostic: validate, route through the same catalog as chat
 * (embedding models only), call offers in order with fallback on retryable upstream errors,
 * and meter exactly once after the response.
 */
import { embeddingsRequestSchema, validate, type EmbeddingsRequest } from './chat-schema';
import { routingContext, toOpenAIUsage, type Caller, type ChatDeps, type RequestMeta, type Reservation } from './chat';
import { ApiError, toApiError } from './errors';
import type { HttpResult } from './http';
import { newRequestId } from './ids';
import { encodeEmbeddings } from './embedding-encoding';
import { finishMetering, ZERO_USAGE } from './metering';
import { boundedUsage } from './usage-bounds';
import { assertModelKind } from './model-kind';
import type { EmbeddingResponse } from './openai-types';
import { costNanoUsd, nanoToUsd } from './pricing';
import { allProvidersFailed, logAttemptFailure, upstreamRejected } from './fallback';
import { planRoute, type RequestNeeds, type RouteCandidate } from './routing';
import { estimateEmbeddingTokens } from './tokens';
import { UpstreamError, type NormalizedUsage } from '../providers/types';

/** Special tokens a model may add to each embeddings input. */
export const EMBEDDING_INPUT_OVERHEAD = 8;

/**
 * A strict upper bound of an embeddings request's input tokens, for budget reservations: byte-level
 * BPE tokenizers spend at most one token per UTF-8 byte; token-id inputs count themselves.
 */
export function maxEmbeddingTokens(request: EmbeddingsRequest): number {
  const items = typeof request.input === 'string' ? [request.input] : request.input;
  let tokens = 0;
  for (const item of items) tokens += typeof item === 'string' ? Buffer.byteLength(item, 'utf8') : typeof item === 'number' ? 1 : item.length;
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

interface Outcome {
  candidate: RouteCandidate;
  usage: NormalizedUsage;
  status: 'ok' | 'upstream_rejected' | 'upstream_error' | 'client_closed';
}

/**
 * Handles an embeddings request for an authenticated caller. The result's `afterResponse` writes
 * the usage record.
 *
 * @example
 * const result = await embeddings({ model: 'mock/embed-small', input: 'hello' }, caller, deps, signal);
 * JSON.parse(result.body as string).usage.cost // USD, exact to the nano-dollar
 */
export async function embeddings(body: unknown, caller: Caller, deps: ChatDeps, signal: AbortSignal, meta: RequestMeta = {}): Promise<HttpResult> {
  const request = validate(embeddingsRequestSchema, body);
  assertModelKind(deps.catalog, request, 'embedding');
  const needs = embeddingNeeds(request);
  const route = planRoute(request, needs, routingContext(deps));
  const startedAt = deps.now();
  const requestId = newRequestId(startedAt.getTime());
  let reservation: Reservation | undefined;
  let attempts = 0;

  let metered = false;
  const meter = async (o: Outcome) => {
    if (metered) return; // exactly one record per request, however often a handler calls afterResponse
    metered = true;
    const end = deps.now().getTime();
    return finishMetering(
      deps,
      {
        requestId,
        accountId: caller.accountId,
        keyId: caller.keyId,
        at: startedAt.toISOString(),
        // The catalog id the request resolved to, never the raw string the client sent.
        requestedModel: route[0]!.model.id,
        servedModel: o.candidate.model.id,
        provider: o.candidate.offer.provider.id,
        upstreamModel: o.candidate.offer.upstreamModel,
        stream: false,
        ...o.usage,
        costNanoUsd: costNanoUsd(o.usage, o.candidate.offer.price),
        latencyMs: end - startedAt.getTime(),
        ttftMs: end - startedAt.getTime(),
        status: o.status,
        usageSource: 'upstream',
        attempts,
      },
      { caller, meta, reservation },
    );
  };

  let lastError: UpstreamError | undefined;
  let last: RouteCandidate | undefined;
  const skipped: string[] = [];
  for (const candidate of route) {
    const adapter = deps.adapterFor(candidate.offer.provider);
    if (!adapter.embeddings) {
      skipped.push(`provider ${candidate.offer.provider.id} (kind ${adapter.kind}) does not serve embeddings`);
      continue;
    }
    // Reserve once, at the most expensive candidate's worst case, so a fallback never overspends.
    reservation ??= await deps.limits?.reserve(caller, requestId, Math.max(...route.map((r) => r.maxCostNano)), needs.maxPromptTokens ?? needs.promptTokens);
    attempts++;
    last = candidate;
    const ctx = { provider: candidate.offer.provider, apiKey: deps.apiKeyFor(candidate.offer.provider), signal, fetch: deps.fetch };
    try {
      // Providers are asked for floats; the client's encoding_format is applied here (embedding-encoding.ts).
      const result = await adapter.embeddings({ ...request, encoding_format: undefined, model: candidate.offer.upstreamModel }, ctx);
      result.usage = boundedUsage(result.usage, { maxPromptTokens: needs.maxPromptTokens ?? needs.promptTokens, maxOutputTokens: 0 }, deps.log, requestId);
      const cost = costNanoUsd(result.usage, candidate.offer.price);
      const response: EmbeddingResponse = {
        ...encodeEmbeddings(result.response, request.encoding_format),
        model: candidate.model.id,
        provider: candidate.offer.provider.id,
        usage: { prompt_tokens: result.usage.promptTokens, total_tokens: result.usage.promptTokens, cost: toOpenAIUsage(result.usage, cost).cost },
      };
      return {
        status: 200,
        headers: {
          'content-type': 'application/json',
          'x-request-id': requestId,
          'x-ctr-provider': candidate.offer.provider.id,
          'x-ctr-model': candidate.model.id,
          'x-ctr-upstream-model': candidate.offer.upstreamModel,
          'x-ctr-cost-usd': nanoToUsd(cost).toString(),
          ...(reservation?.headers ?? {}),
        },
        body: JSON.stringify(response),
        afterResponse: () => meter({ candidate, usage: result.usage, status: 'ok' }),
      };
    } catch (err) {
      if (!(err instanceof UpstreamError)) {
        await meter({ candidate, usage: ZERO_USAGE, status: 'upstream_error' });
        throw toApiError(err);
      }
      logAttemptFailure(deps.log, requestId, candidate, attempts, err);
      lastError = err;
      if (err.reason === 'aborted') break;
      if (!err.retryable) {
        await meter({ candidate, usage: ZERO_USAGE, status: 'upstream_rejected' });
        throw upstreamRejected(err, requestId);
      }
    }
  }
  if (!last) {
    throw new ApiError(400, `No provider can serve this request: ${skipped.join('; ')}.`, 'invalid_request_error', 'model', 'no_eligible_offer');
  }
  await meter({ candidate: last, usage: ZERO_USAGE, status: lastError?.reason === 'aborted' ? 'client_closed' : 'upstream_error' });
  throw allProvidersFailed(attempts, lastError, requestId);
}

