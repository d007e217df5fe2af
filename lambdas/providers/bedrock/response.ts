/**
 * Bedrock Converse output → OpenAI completions, buffered and streamed, with usage normalized to
 * the router's convention, and SDK errors classified as UpstreamErrors.
 */
import type { ConverseCommandOutput, ConverseStreamOutput, TokenUsage } from '@aws-sdk/client-bedrock-runtime';
import { UpstreamError } from '../../domain/errors';
import type { ChatCompletionChunk, ToolCall } from '../../domain/openai';
import type { ChatResult, ProviderCallContext } from '../../domain/ports';
import type { NormalizedUsage } from '../../domain/usage';
import { assistantCompletion, BEDROCK_STOP_REASONS, chunkFactory, mapFinishReason, openAIErrorBody, safeCode } from '../mapping-tables';

/**
 * Bedrock's `inputTokens` is the uncached input only: cache reads and writes are reported beside
 * it (AWS prompt-caching guide: total input = inputTokens + cacheReadInputTokens +
 * cacheWriteInputTokens; `totalTokens` adds all of them and outputTokens). This mirrors
 * Anthropic's `input_tokens`, so the router's all-input `promptTokens` is the sum.
 */
export function normalizeBedrockUsage(u: Partial<TokenUsage>): NormalizedUsage {
  const read = u.cacheReadInputTokens ?? 0;
  const write = u.cacheWriteInputTokens ?? 0;
  return {
    promptTokens: (u.inputTokens ?? 0) + read + write,
    completionTokens: u.outputTokens ?? 0,
    cachedReadTokens: read,
    cacheWriteTokens: write,
    reasoningTokens: 0, // Converse reports reasoning inside outputTokens without a breakdown
  };
}

/** Bedrock exception name → HTTP status, for exceptions raised inside a 200 event stream. */
export const BEDROCK_ERROR_STATUS: Readonly<Record<string, number>> = {
  ValidationException: 400,
  AccessDeniedException: 403,
  ResourceNotFoundException: 404,
  ModelTimeoutException: 408,
  ModelErrorException: 424,
  ModelStreamErrorException: 424,
  ModelNotReadyException: 429,
  ServiceQuotaExceededException: 429,
  ThrottlingException: 429,
  InternalServerException: 500,
  ServiceUnavailableException: 503,
};

/** Classifies anything the SDK throws. Messages name the provider and the exception, never its text. */
export function bedrockError(err: unknown, ctx: ProviderCallContext, timedOut = false): UpstreamError {
  if (err instanceof UpstreamError) return err;
  const id = ctx.provider.id;
  if (timedOut) return new UpstreamError(`${id} did not answer within ${ctx.provider.timeoutMs} ms`, 'timeout');
  const e = (err ?? {}) as { name?: unknown; message?: unknown; $metadata?: { httpStatusCode?: number }; code?: unknown };
  if (ctx.signal.aborted) return new UpstreamError(`request to ${id} aborted`, 'aborted');
  const rawName = safeCode(e.name);
  const name = rawName ? rawName[0]!.toUpperCase() + rawName.slice(1) : null;
  const metaStatus = e.$metadata?.httpStatusCode;
  const status = (name && BEDROCK_ERROR_STATUS[name]) || (metaStatus && metaStatus >= 400 ? metaStatus : undefined);
  if (status) {
    const message = typeof e.message === 'string' && e.message ? e.message : `Amazon Bedrock returned HTTP ${status}`;
    return new UpstreamError(
      `${id} returned HTTP ${status}${name ? ` (${name})` : ''}`,
      'http',
      status,
      openAIErrorBody(status, message, name),
    );
  }
  if (name === 'AbortError') return new UpstreamError(`request to ${id} aborted`, 'aborted');
  if (name === 'TimeoutError') return new UpstreamError(`${id} did not answer in time`, 'timeout');
  const code = safeCode(e.code);
  return new UpstreamError(`could not connect to ${id}${code ? ` (${code})` : ''}`, 'connect');
}

/** A buffered Converse output as an OpenAI chat completion. */
export function fromConverseOutput(out: ConverseCommandOutput, model: string, id: string): ChatResult {
  let text = '';
  const toolCalls: ToolCall[] = [];
  for (const block of out.output?.message?.content ?? []) {
    if (block.text !== undefined) text += block.text;
    else if (block.toolUse)
      toolCalls.push({
        id: block.toolUse.toolUseId ?? '',
        type: 'function',
        function: { name: block.toolUse.name ?? '', arguments: JSON.stringify(block.toolUse.input ?? {}) },
      });
    // reasoningContent and other blocks have no OpenAI chat equivalent.
  }
  const usage = normalizeBedrockUsage(out.usage ?? {});
  const completion = assistantCompletion(id, model, text, toolCalls, mapFinishReason(BEDROCK_STOP_REASONS, out.stopReason), usage);
  return { completion, usage };
}

/**
 * Turns ConverseStream events into OpenAI chunks. Content blocks are numbered across text and
 * tool use; OpenAI numbers tool calls alone. Usage arrives once, in the `metadata` event that
 * follows `messageStop`.
 */
export class BedrockStreamTranslator {
  private readonly chunk: ReturnType<typeof chunkFactory>;
  private readonly tools = new Map<number, { index: number; sentArgs: boolean }>();
  private usage: TokenUsage | undefined;
  private stopped = false;

  constructor(
    id: string,
    model: string,
    private readonly providerId = 'bedrock',
  ) {
    this.chunk = chunkFactory(id, model);
  }

  /** The chunks one event produces. Modeled stream exceptions surface as SDK throws, not here. */
  handle(ev: ConverseStreamOutput): ChatCompletionChunk[] {
    if (ev.messageStart) return [this.chunk({ role: 'assistant', content: '' })];
    if (ev.contentBlockStart) {
      const tu = ev.contentBlockStart.start?.toolUse;
      if (!tu) return [];
      const index = this.tools.size;
      this.tools.set(ev.contentBlockStart.contentBlockIndex ?? -1, { index, sentArgs: false });
      return [
        this.chunk({ tool_calls: [{ index, id: tu.toolUseId ?? '', type: 'function', function: { name: tu.name ?? '', arguments: '' } }] }),
      ];
    }
    if (ev.contentBlockDelta) {
      const d = ev.contentBlockDelta.delta;
      if (d?.text) return [this.chunk({ content: d.text })];
      const tool = this.tools.get(ev.contentBlockDelta.contentBlockIndex ?? -1);
      if (d?.toolUse?.input && tool) {
        tool.sentArgs = true;
        return [this.chunk({ tool_calls: [{ index: tool.index, function: { arguments: d.toolUse.input } }] })];
      }
      return [];
    }
    if (ev.contentBlockStop) {
      const tool = this.tools.get(ev.contentBlockStop.contentBlockIndex ?? -1);
      if (tool && !tool.sentArgs) {
        tool.sentArgs = true;
        return [this.chunk({ tool_calls: [{ index: tool.index, function: { arguments: '{}' } }] })];
      }
      return [];
    }
    if (ev.messageStop) {
      this.stopped = true;
      return [this.chunk({}, mapFinishReason(BEDROCK_STOP_REASONS, ev.messageStop.stopReason))];
    }
    if (ev.metadata?.usage) this.usage = ev.metadata.usage;
    return [];
  }

  /** The stream's usage; throws if the stream ended before messageStop or without metadata. */
  finalUsage(): NormalizedUsage {
    if (!this.stopped) throw new UpstreamError(`${this.providerId} stream ended before messageStop`, 'protocol');
    if (!this.usage) throw new UpstreamError(`${this.providerId} stream ended without usage metadata`, 'protocol');
    return normalizeBedrockUsage(this.usage);
  }
}
