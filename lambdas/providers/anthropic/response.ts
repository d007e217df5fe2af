/**
 * Anthropic Messages responses → OpenAI completions, buffered and streamed, with usage
 * normalized to the router's convention.
 */

import { UpstreamError } from '../../domain/errors';
import type { ChatCompletionChunk, ToolCall } from '../../domain/openai';
import type { ChatResult } from '../../domain/ports';
import type { NormalizedUsage } from '../../domain/usage';
import type { ErrorMapper } from '../http';
import { ANTHROPIC_STOP_REASONS, assistantCompletion, chunkFactory, mapFinishReason, openAIErrorBody, safeCode } from '../mapping-tables';
import type { AnthropicMessage, AnthropicStreamEvent, AnthropicUsage } from './wire';

/**
 * Anthropic's `input_tokens` counts only the uncached input after the last cache breakpoint;
 * cache reads and cache writes are reported beside it. The router's `promptTokens` is all input.
 */
export function normalizeAnthropicUsage(u: AnthropicUsage): NormalizedUsage {
  const read = u.cache_read_input_tokens ?? 0;
  const write = u.cache_creation_input_tokens ?? 0;
  return {
    promptTokens: (u.input_tokens ?? 0) + read + write,
    completionTokens: u.output_tokens ?? 0,
    cachedReadTokens: read,
    cacheWriteTokens: write,
    reasoningTokens: 0, // Anthropic bills extended thinking inside output_tokens and does not break it out
  };
}

/** A buffered Anthropic message as an OpenAI chat completion. */
export function fromAnthropicMessage(msg: AnthropicMessage, model: string): ChatResult {
  let text = '';
  const toolCalls: ToolCall[] = [];
  for (const block of msg.content) {
    if (block.type === 'text' && 'text' in block) text += block.text;
    else if (block.type === 'tool_use' && 'input' in block)
      toolCalls.push({ id: block.id, type: 'function', function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) } });
    // thinking / redacted_thinking / server-tool blocks have no OpenAI chat equivalent.
  }
  const usage = normalizeAnthropicUsage(msg.usage);
  const completion = assistantCompletion(msg.id, model, text, toolCalls, mapFinishReason(ANTHROPIC_STOP_REASONS, msg.stop_reason), usage);
  return { completion, usage };
}

/** Anthropic error type → HTTP status, for errors that arrive inside a 200 stream. */
export const ANTHROPIC_STREAM_ERROR_STATUS: Readonly<Record<string, number>> = {
  invalid_request_error: 400,
  authentication_error: 401,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  overloaded_error: 529,
};

/** Maps Anthropic's error body to a code and an OpenAI-shape body. */
export const mapAnthropicError: ErrorMapper = (status, body) => {
  const err = (body as { error?: { type?: unknown; message?: unknown } } | undefined)?.error;
  const code = safeCode(err?.type);
  const message = typeof err?.message === 'string' ? err.message : `Anthropic returned HTTP ${status}`;
  return { code, body: openAIErrorBody(status, message, code) };
};

/**
 * Turns Anthropic stream events into OpenAI chunks. Content blocks are numbered across text and
 * tool_use blocks; OpenAI numbers tool calls alone, so tool blocks get their own index.
 * Usage: message_start carries input and cache counts; message_delta carries the cumulative
 * output count (and, in newer API versions, cumulative input counts): later values replace
 * earlier ones, they are never added.
 */
export class AnthropicStreamTranslator {
  private chunk: ReturnType<typeof chunkFactory>;
  private readonly toolIndex = new Map<number, { index: number; sentArgs: boolean }>();
  private usage: AnthropicUsage = {};
  private stopReason: string | null | undefined;
  private started = false;
  /** True once message_stop arrived: the stream ended cleanly. */
  done = false;

  constructor(
    private readonly model: string,
    private readonly providerId = 'anthropic',
  ) {
    this.chunk = chunkFactory('', model);
  }

  /** The chunks one event produces (often none). Throws UpstreamError on an `error` event. */
  handle(ev: AnthropicStreamEvent): ChatCompletionChunk[] {
    switch (ev.type) {
      case 'message_start':
        this.chunk = chunkFactory(ev.message.id, this.model);
        this.usage = { ...ev.message.usage };
        this.started = true;
        return [this.chunk({ role: 'assistant', content: '' })];
      case 'content_block_start': {
        this.requireStart();
        const b = ev.content_block;
        if (b.type === 'text' && 'text' in b) return b.text ? [this.chunk({ content: b.text })] : [];
        if (b.type === 'tool_use' && 'id' in b) {
          const index = this.toolIndex.size;
          this.toolIndex.set(ev.index, { index, sentArgs: false });
          return [this.chunk({ tool_calls: [{ index, id: b.id, type: 'function', function: { name: b.name, arguments: '' } }] })];
        }
        return [];
      }
      case 'content_block_delta': {
        this.requireStart();
        const d = ev.delta;
        if (d.type === 'text_delta' && 'text' in d) return d.text ? [this.chunk({ content: d.text })] : [];
        const tool = this.toolIndex.get(ev.index);
        if (d.type === 'input_json_delta' && 'partial_json' in d && tool && d.partial_json !== '') {
          tool.sentArgs = true;
          return [this.chunk({ tool_calls: [{ index: tool.index, function: { arguments: d.partial_json } }] })];
        }
        return [];
      }
      case 'content_block_stop': {
        const tool = this.toolIndex.get(ev.index);
        // A tool without parameters streams no input_json_delta; send "{}" so clients can JSON.parse it.
        if (tool && !tool.sentArgs) {
          tool.sentArgs = true;
          return [this.chunk({ tool_calls: [{ index: tool.index, function: { arguments: '{}' } }] })];
        }
        return [];
      }
      case 'message_delta':
        this.requireStart();
        if (ev.delta.stop_reason !== undefined) this.stopReason = ev.delta.stop_reason;
        for (const [k, v] of Object.entries(ev.usage ?? {}) as Array<[keyof AnthropicUsage, number | null | undefined]>)
          if (typeof v === 'number') this.usage[k] = v;
        return [];
      case 'message_stop':
        this.requireStart();
        this.done = true;
        return [this.chunk({}, mapFinishReason(ANTHROPIC_STOP_REASONS, this.stopReason))];
      case 'error': {
        const code = safeCode(ev.error?.type);
        const status = (code && ANTHROPIC_STREAM_ERROR_STATUS[code]) || 500;
        const message = `${this.providerId} reported an error mid-stream (${code ?? 'unknown'})`;
        throw new UpstreamError(message, 'http', status, openAIErrorBody(status, message, code));
      }
      default:
        return []; // ping, and event types added after this adapter was written
    }
  }

  /** The normalized usage of the whole stream. */
  finalUsage(): NormalizedUsage {
    return normalizeAnthropicUsage(this.usage);
  }

  private requireStart(): void {
    if (!this.started) throw new UpstreamError(`${this.providerId} stream did not begin with message_start`, 'protocol');
  }
}
