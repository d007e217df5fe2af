/**
 * What the pipelines hand to a transport: typed results and stream events, never serialized
 * text. The transport (handlers/) renders them as OpenAI JSON/SSE or Anthropic shapes and calls
 * `finish` (metering) once the client has the whole response or has gone away.
 */
import type { RateLimitState } from '../domain/errors';
import type { ChatCompletion, ChatCompletionChunk, EmbeddingResponse } from '../domain/openai';

/** Which offer served a request, and what the transport reports of it in headers. */
export interface Served {
  requestId: string;
  provider: string;
  /** The catalog model id. */
  model: string;
  upstreamModel: string;
  /** Offers called for this request (fallbacks included). */
  attempts: number;
  /** The rate windows' state after this request was counted, when limits apply. */
  rateLimit?: RateLimitState;
  /** The exact cost in nano-USD, when known before the body is sent (buffered answers). */
  costNanoUsd?: number;
  /** Where the time went before the response headers (milliseconds; rendered as `Server-Timing`). */
  timing?: StageTimings;
}

/** Milliseconds spent per stage of a request: routing, the store (limits), the upstream call(s). */
export interface StageTimings {
  plan?: number;
  store?: number;
  upstream?: number;
}

/**
 * One event of a chat stream. Chunks carry the router's request id, model and provider already; a
 * chunk with no choices and a `usage` is the final usage report. `error` ends a stream that failed
 * after its first byte (never followed by `done`).
 */
export type ChatEvent = { type: 'chunk'; chunk: ChatCompletionChunk } | { type: 'error'; message: string } | { type: 'done' };

interface Finishable {
  served: Served;
  /** Meters the request; call exactly once the client has the response or is gone (idempotent). */
  finish(): Promise<void>;
}

export interface CompletionOutcome extends Finishable {
  kind: 'completion';
  completion: ChatCompletion;
}

export interface StreamOutcome extends Finishable {
  kind: 'stream';
  /** Reading it to the end, or returning it early (client gone), ends the upstream call. */
  events: AsyncIterable<ChatEvent>;
}

export type ChatOutcome = CompletionOutcome | StreamOutcome;

export interface EmbeddingsOutcome extends Finishable {
  kind: 'embeddings';
  response: EmbeddingResponse;
}
