/**
 * Renders the pipelines' typed outcomes in OpenAI's wire format: a JSON body, or SSE frames
 * (`data: {chunk}`, `data: {"error":…}` after a mid-stream failure, `data: [DONE]`), with the
 * router's headers (request id, provider, model, cost, rate limits).
 */
import type { ChatEvent, ChatOutcome, EmbeddingsOutcome, Served } from '../core/outcome';
import { nanoToUsd } from '../domain/money';
import { rateLimitHeaders } from './http-errors';
import type { HttpResult } from './http-result';

/** `Server-Timing` of the stages known when the headers go out (durations in ms, 0.1 ms precision). */
export function serverTiming(timing: Served['timing']): string {
  return (['plan', 'store', 'upstream'] as const)
    .filter((k) => timing?.[k] !== undefined)
    .map((k) => `${k};dur=${timing![k]!.toFixed(1)}`)
    .join(', ');
}

/** The headers every served request carries. */
export function servedHeaders(served: Served): Record<string, string> {
  const timing = serverTiming(served.timing);
  return {
    ...(timing ? { 'server-timing': timing } : {}),
    'x-request-id': served.requestId,
    'x-ctr-provider': served.provider,
    'x-ctr-model': served.model,
    'x-ctr-upstream-model': served.upstreamModel,
    'x-ctr-attempts': String(served.attempts),
    ...(served.costNanoUsd !== undefined ? { 'x-ctr-cost-usd': nanoToUsd(served.costNanoUsd).toString() } : {}),
    ...rateLimitHeaders(served.rateLimit),
  };
}

const sse = (data: unknown) => `data: ${JSON.stringify(data)}\n\n`;

/** One stream event as an OpenAI SSE frame. */
export function openAIFrame(event: ChatEvent): string {
  if (event.type === 'chunk') return sse(event.chunk);
  if (event.type === 'done') return 'data: [DONE]\n\n';
  return sse({ error: { message: event.message, type: 'upstream_error', param: null, code: 'stream_interrupted' } });
}

async function* openAIStream(events: AsyncIterable<ChatEvent>): AsyncGenerator<string> {
  for await (const event of events) yield openAIFrame(event);
}

/** A chat outcome as an OpenAI response (JSON or SSE). */
export function renderChat(outcome: ChatOutcome): HttpResult {
  if (outcome.kind === 'completion') {
    return {
      status: 200,
      headers: { 'content-type': 'application/json', ...servedHeaders(outcome.served) },
      body: JSON.stringify(outcome.completion),
      afterResponse: outcome.finish,
    };
  }
  return {
    status: 200,
    headers: {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      ...servedHeaders(outcome.served),
    },
    body: openAIStream(outcome.events),
    afterResponse: outcome.finish,
  };
}

/**
 * An embeddings outcome as OpenAI's response. With `encoding_format: "base64"` (the official
 * `openai` client's default) each vector is little-endian float32, base64-encoded, as OpenAI returns it.
 */
export function renderEmbeddings(outcome: EmbeddingsOutcome): HttpResult {
  return {
    status: 200,
    headers: { 'content-type': 'application/json', ...servedHeaders(outcome.served) },
    body: JSON.stringify(outcome.response),
    afterResponse: outcome.finish,
  };
}
