/**
 * Gemini responses → OpenAI completions, buffered and streamed, with usage normalized to the
 * router's convention.
 */
import { randomUUID } from 'node:crypto';
import { UpstreamError } from '../../domain/errors';
import type { ChatCompletionChunk, FinishReason, ToolCall } from '../../domain/openai';
import type { ChatResult } from '../../domain/ports';
import type { NormalizedUsage } from '../../domain/usage';
import type { ErrorMapper } from '../http';
import { assistantCompletion, chunkFactory, GEMINI_FINISH_REASONS, mapFinishReason, openAIErrorBody, safeCode } from '../mapping-tables';
import type { GeminiPart, GeminiResponse, GeminiUsageMetadata } from './wire';

/**
 * `promptTokenCount` already includes `cachedContentTokenCount`; `toolUsePromptTokenCount` is
 * extra input. Thinking tokens are billed as output, so they join `completionTokens`.
 * Gemini bills explicit-cache storage separately, never as a per-request cache write.
 */
export function normalizeGeminiUsage(u: GeminiUsageMetadata): NormalizedUsage {
  const thoughts = u.thoughtsTokenCount ?? 0;
  return {
    promptTokens: (u.promptTokenCount ?? 0) + (u.toolUsePromptTokenCount ?? 0),
    completionTokens: (u.candidatesTokenCount ?? 0) + thoughts,
    cachedReadTokens: u.cachedContentTokenCount ?? 0,
    cacheWriteTokens: 0,
    reasoningTokens: thoughts,
  };
}

/** Maps Gemini's `{"error":{"code","message","status"}}` to a code and an OpenAI-shape body. */
export const mapGeminiError: ErrorMapper = (status, body) => {
  const err = (Array.isArray(body) ? body[0] : body) as { error?: { status?: unknown; message?: unknown } } | undefined;
  const code = safeCode(err?.error?.status);
  const message = typeof err?.error?.message === 'string' ? err.error.message : `Gemini returned HTTP ${status}`;
  return { code, body: openAIErrorBody(status, message, code) };
};

const toolCallId = (id: string | undefined): string => id || `call_${randomUUID().replace(/-/g, '').slice(0, 24)}`;

/** The answer's visible text and function calls, skipping thought summaries. */
function partsOf(resp: GeminiResponse): GeminiPart[] {
  return resp.candidates?.[0]?.content?.parts ?? [];
}

function finish(reason: string | undefined, blocked: boolean, sawToolCalls: boolean): FinishReason {
  if (blocked) return 'content_filter';
  const mapped = mapFinishReason(GEMINI_FINISH_REASONS, reason);
  return mapped === 'stop' && sawToolCalls ? 'tool_calls' : mapped;
}

/** A buffered Gemini response as an OpenAI chat completion. */
export function fromGeminiResponse(resp: GeminiResponse, model: string): ChatResult {
  let text = '';
  const toolCalls: ToolCall[] = [];
  for (const p of partsOf(resp)) {
    if ('text' in p && !p.thought) text += p.text;
    else if ('functionCall' in p)
      toolCalls.push({
        id: toolCallId(p.functionCall.id),
        type: 'function',
        function: { name: p.functionCall.name, arguments: JSON.stringify(p.functionCall.args ?? {}) },
      });
  }
  const blocked = !resp.candidates?.length && !!resp.promptFeedback?.blockReason;
  const usage = normalizeGeminiUsage(resp.usageMetadata ?? {});
  const completion = assistantCompletion(
    resp.responseId ? `chatcmpl-${resp.responseId}` : `chatcmpl-${randomUUID()}`,
    model,
    text,
    toolCalls,
    finish(resp.candidates?.[0]?.finishReason, blocked, toolCalls.length > 0),
    usage,
  );
  return { completion, usage };
}

/**
 * Turns streamed GenerateContentResponse objects into OpenAI chunks. Text parts are deltas;
 * function calls arrive whole, each becoming one tool_call delta. Each event's usageMetadata
 * is a running total, so the last one seen is the exchange's usage.
 */
export class GeminiStreamTranslator {
  private chunk: ReturnType<typeof chunkFactory> | undefined;
  private toolCount = 0;
  private reason: string | undefined;
  private blocked = false;
  private usage: GeminiUsageMetadata | undefined;

  constructor(
    private readonly model: string,
    private readonly providerId = 'gemini',
  ) {}

  /** The chunks one streamed response produces. */
  handle(resp: GeminiResponse): ChatCompletionChunk[] {
    const out: ChatCompletionChunk[] = [];
    if (!this.chunk) {
      this.chunk = chunkFactory(resp.responseId ? `chatcmpl-${resp.responseId}` : `chatcmpl-${randomUUID()}`, this.model);
      out.push(this.chunk({ role: 'assistant', content: '' }));
    }
    for (const p of partsOf(resp)) {
      if ('text' in p && !p.thought && p.text) out.push(this.chunk({ content: p.text }));
      else if ('functionCall' in p) {
        const index = this.toolCount++;
        const fc = p.functionCall;
        out.push(
          this.chunk({
            tool_calls: [
              { index, id: toolCallId(fc.id), type: 'function', function: { name: fc.name, arguments: JSON.stringify(fc.args ?? {}) } },
            ],
          }),
        );
      }
    }
    const reason = resp.candidates?.[0]?.finishReason;
    if (reason) this.reason = reason;
    if (resp.promptFeedback?.blockReason) this.blocked = true;
    if (resp.usageMetadata) this.usage = resp.usageMetadata;
    return out;
  }

  /** The closing chunk; throws if the stream ended without a finish reason (truncated). */
  end(): ChatCompletionChunk {
    if (!this.chunk || (!this.reason && !this.blocked))
      throw new UpstreamError(`${this.providerId} stream ended without a finish reason`, 'protocol');
    return this.chunk({}, finish(this.reason, this.blocked, this.toolCount > 0));
  }

  finalUsage(): NormalizedUsage {
    if (!this.usage) throw new UpstreamError(`${this.providerId} stream ended without usage metadata`, 'protocol');
    return normalizeGeminiUsage(this.usage);
  }
}
