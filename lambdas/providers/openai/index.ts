/**
 * Adapter for any OpenAI-compatible Chat Completions API (OpenAI, Groq, Together, DeepInfra,
 * Fireworks, DeepSeek, OpenRouter, vLLM, …): a base URL and a bearer key.
 */

import type { ChatRequest, EmbeddingsRequest } from '../../domain/chat-request';
import { UpstreamError } from '../../domain/errors';
import type { ChatCompletion, ChatCompletionChunk, EmbeddingResponse, ErrorBody, OpenAIUsage } from '../../domain/openai';
import type { ProviderAdapter, ProviderCallContext, StreamEvent } from '../../domain/ports';
import type { UpstreamResponse } from '../../domain/upstream';
import type { NormalizedUsage } from '../../domain/usage';
import { type ErrorMapper, postJson, readJson } from '../http';
import { openAIErrorBody, safeCode, unsupported } from '../mapping-tables';
import { type DroppableParam, OPENAI_COMPATIBLE_PRESETS, resolvePreset } from '../presets';
import { readSse } from '../sse';

/** Where and how to call a provider: its base URL, query and auth header, from the config or its preset. */
function endpoint(provider: ProviderCallContext['provider']) {
  const resolved = provider.preset ? resolvePreset(provider.preset, provider.presetParams, provider.query) : undefined;
  const preset = provider.preset ? OPENAI_COMPATIBLE_PRESETS[provider.preset] : undefined;
  return {
    base: (provider.baseUrl ?? resolved!.baseUrl).replace(/\/+$/, ''),
    query: new URLSearchParams(resolved?.query ?? provider.query ?? {}).toString(),
    auth: resolved?.authHeader ?? ((key: string) => ({ authorization: `Bearer ${key}` })),
    drop: (preset && 'dropParams' in preset ? preset.dropParams : []) as readonly DroppableParam[],
  };
}

/** Parameters a host rejects whose absence would change the answer: refused (the next offer is tried), not dropped. */
const ANSWER_CHANGING: ReadonlySet<DroppableParam> = new Set(['logit_bias', 'logprobs', 'top_logprobs', 'seed', 'parallel_tool_calls']);

/** The value of a parameter that asks for nothing (so dropping it changes nothing). */
const noOp = (param: DroppableParam, v: unknown) => v === undefined || v === null || v === (param === 'parallel_tool_calls');

/**
 * Removes parameters a host is known to reject when that changes nothing (a message's `name`, a no-op
 * value); a parameter that would change the answer is refused before anything is sent, naming it.
 */
function dropParams(body: Record<string, unknown>, drop: readonly DroppableParam[], providerId: string): void {
  for (const param of drop) {
    if (param === 'messages[].name') {
      if (Array.isArray(body.messages)) body.messages = body.messages.map(({ name: _n, ...m }: Record<string, unknown>) => m);
    } else if (ANSWER_CHANGING.has(param) && !noOp(param, body[param])) throw unsupported(providerId, param, param);
    else delete body[param];
  }
}

/** Fields of our request that are routing instructions for the router, not for the upstream. */
function upstreamBody(request: ChatRequest | EmbeddingsRequest, stream: boolean): Record<string, unknown> {
  const { models: _models, provider: _provider, ...rest } = request;
  const body: Record<string, unknown> = { ...rest };
  if (stream) {
    body.stream = true;
    body.stream_options = { include_usage: true };
  } else if ('messages' in request) {
    delete body.stream;
    delete body.stream_options;
  }
  return body;
}

/** Normalizes OpenAI usage (and DeepSeek's / OpenRouter's cache fields) to the router's shape. */
export function normalizeOpenAIUsage(u: OpenAIUsage & { prompt_cache_hit_tokens?: number }): NormalizedUsage {
  return {
    promptTokens: u.prompt_tokens ?? 0,
    completionTokens: u.completion_tokens ?? 0,
    cachedReadTokens: u.prompt_tokens_details?.cached_tokens ?? u.prompt_cache_hit_tokens ?? 0,
    cacheWriteTokens: u.prompt_tokens_details?.cache_write_tokens ?? 0,
    reasoningTokens: u.completion_tokens_details?.reasoning_tokens ?? 0,
  };
}

/** OpenAI-compatible hosts already answer errors in OpenAI's shape: pass the body on, name its code. */
const openAIErrors: ErrorMapper = (status, body) => {
  const err = (body as { error?: { code?: unknown; type?: unknown; message?: unknown } } | undefined)?.error;
  const code = safeCode(err?.code) ?? safeCode(err?.type);
  return {
    code,
    body: err && typeof err.message === 'string' ? (body as ErrorBody) : openAIErrorBody(status, `upstream returned HTTP ${status}`, code),
  };
};

function post(path: string, body: Record<string, unknown>, ctx: ProviderCallContext): Promise<UpstreamResponse> {
  const ep = endpoint(ctx.provider);
  dropParams(body, ep.drop, ctx.provider.id);
  return postJson(
    ctx,
    `${ep.base}${path}${ep.query ? `?${ep.query}` : ''}`,
    { accept: 'application/json, text/event-stream', ...(ctx.apiKey ? ep.auth(ctx.apiKey) : {}) },
    body,
    openAIErrors,
  );
}

async function* streamEvents(response: UpstreamResponse, ctx: ProviderCallContext): AsyncGenerator<StreamEvent> {
  if (!response.body) throw new UpstreamError(`${ctx.provider.id} sent no stream body`, 'protocol');
  try {
    yield* parseStream(response.body, ctx);
  } catch (err) {
    if (err instanceof UpstreamError) throw err;
    throw new UpstreamError(`the connection to ${ctx.provider.id} broke mid-stream`, 'connect');
  }
}

async function* parseStream(body: AsyncIterable<Uint8Array>, ctx: ProviderCallContext): AsyncGenerator<StreamEvent> {
  let finished = false;
  for await (const ev of readSse(body)) {
    if (ev.data === '[DONE]') break;
    let chunk: ChatCompletionChunk & { error?: { code?: unknown } };
    try {
      chunk = JSON.parse(ev.data);
    } catch {
      throw new UpstreamError(`${ctx.provider.id} sent a malformed stream event`, 'protocol');
    }
    if (chunk.error) throw new UpstreamError(`${ctx.provider.id} reported an error mid-stream`, 'protocol');
    if (chunk.usage) yield { type: 'usage', usage: normalizeOpenAIUsage(chunk.usage) };
    if (chunk.choices?.length) {
      if (chunk.choices.some((c) => c.finish_reason)) finished = true;
      const { usage: _usage, ...rest } = chunk;
      yield { type: 'chunk', chunk: rest as ChatCompletionChunk };
    }
  }
  // A body that ends before [DONE] and before any finish_reason was cut off: never a clean end.
  if (!finished) throw new UpstreamError(`${ctx.provider.id} stream ended before it finished`, 'protocol');
}

export const openaiAdapter: ProviderAdapter = {
  kind: 'openai',
  async chat(request, ctx) {
    const response = await post('/chat/completions', upstreamBody(request, false), ctx);
    const completion = (await readJson(ctx, response)) as ChatCompletion;
    if (!completion?.choices) throw new UpstreamError(`${ctx.provider.id} sent a response without choices`, 'protocol');
    if (!completion.usage) throw new UpstreamError(`${ctx.provider.id} sent a response without usage`, 'protocol');
    return { completion, usage: normalizeOpenAIUsage(completion.usage) };
  },
  async chatStream(request, ctx) {
    const response = await post('/chat/completions', upstreamBody(request, true), ctx);
    return streamEvents(response, ctx);
  },
  async embeddings(request, ctx) {
    const response = await post('/embeddings', upstreamBody(request, false), ctx);
    const body = (await readJson(ctx, response)) as EmbeddingResponse | undefined;
    if (!body?.data || !body.usage) throw new UpstreamError(`${ctx.provider.id} sent a malformed embeddings response`, 'protocol');
    return {
      response: body,
      usage: { promptTokens: body.usage.prompt_tokens, completionTokens: 0, cachedReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 },
    };
  },
};
