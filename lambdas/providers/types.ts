/**
 * The one interface every provider adapter implements. Adapters speak OpenAI's wire format
 * towards the router and their provider's format towards the upstream; they report usage in
 * one normalized shape that `core/pricing.ts` prices exactly.
 */
import type { ProviderConfig } from '../core/config';
import type { ChatRequest, EmbeddingsRequest } from '../core/chat-schema';
import type { ChatCompletion, ChatCompletionChunk, EmbeddingResponse } from '../core/openai-types';

/**
 * Token usage as the upstream reported it, normalized.
 * `promptTokens` counts every input token, including those read from or written to a prompt
 * cache (OpenAI's convention); `completionTokens` includes reasoning tokens.
 */
export interface NormalizedUsage {
  promptTokens: number;
  completionTokens: number;
  cachedReadTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
}

/** What an adapter needs for one call. */
export interface ProviderCallContext {
  provider: ProviderConfig;
  /** The resolved API key (undefined for providers that sign requests themselves, e.g. Bedrock, or the mock). */
  apiKey: string | undefined;
  /** Aborts the upstream call (client gone, timeout). */
  signal: AbortSignal;
  /** The fetch to use (keep-alive agent); injectable for tests. */
  fetch: typeof fetch;
}

/** One event of a normalized upstream stream. */
export type StreamEvent = { type: 'chunk'; chunk: ChatCompletionChunk } | { type: 'usage'; usage: NormalizedUsage };

/** A buffered chat result: the OpenAI-format completion and the normalized usage. */
export interface ChatResult {
  completion: ChatCompletion;
  usage: NormalizedUsage;
}

export interface EmbeddingsResult {
  response: EmbeddingResponse;
  usage: NormalizedUsage;
}

/**
 * A provider adapter. `request.model` is already the upstream model id.
 *
 * `chatStream` resolves once the upstream has accepted the request (status 2xx received), so
 * that connection and HTTP errors surface as a rejected promise, before any byte reaches the
 * client, and the router can still fall back. Errors met while iterating are mid-stream errors.
 */
export interface ProviderAdapter {
  readonly kind: string;
  chat(request: ChatRequest, ctx: ProviderCallContext): Promise<ChatResult>;
  chatStream(request: ChatRequest, ctx: ProviderCallContext): Promise<AsyncIterable<StreamEvent>>;
  embeddings?(request: EmbeddingsRequest, ctx: ProviderCallContext): Promise<EmbeddingsResult>;
}

/**
 * A failed upstream call. `message` is safe to log and return: adapters build it from status
 * codes and error codes, never from request or response content.
 */
export class UpstreamError extends Error {
  override readonly name = 'UpstreamError';
  constructor(
    message: string,
    readonly reason: 'connect' | 'timeout' | 'http' | 'protocol' | 'aborted',
    readonly status?: number,
    /** The upstream's error body (OpenAI shape), returned to the client on request errors; never logged. */
    readonly upstreamBody?: unknown,
  ) {
    super(message);
  }

  /** Retryable failures fall back to the next offer: connect errors, timeouts, 408, 409, 429, 5xx. */
  get retryable(): boolean {
    if (this.reason === 'connect' || this.reason === 'timeout') return true;
    if (this.reason === 'http' && this.status !== undefined) return [408, 409, 429].includes(this.status) || this.status >= 500;
    return this.reason === 'protocol';
  }
}
