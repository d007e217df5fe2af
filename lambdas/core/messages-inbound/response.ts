/**
 * The router's OpenAI-format results → Anthropic Messages responses: the buffered message and
 * its usage. (Streams are in `stream.ts`.)
 */

import type { ChatCompletion, OpenAIUsage } from '../../domain/openai';
import { type AnthropicStopReason, stopReasonOut } from './tables';

/** Anthropic's usage object, plus the router's `cost` (USD, as in `usage.cost` on the OpenAI routes). */
export interface AnthropicUsageOut {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  cost?: number;
}

export type AnthropicContentOut =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> };

export interface AnthropicMessageOut {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: AnthropicContentOut[];
  stop_reason: AnthropicStopReason;
  stop_sequence: null;
  usage: AnthropicUsageOut;
  /** Router extension (as on the OpenAI routes): the provider that served the request. */
  provider?: string;
}

/**
 * OpenAI usage → Anthropic usage. OpenAI's `prompt_tokens` counts all input; Anthropic's
 * `input_tokens` excludes cache reads and writes, which it reports beside it.
 */
export function toAnthropicUsage(u: OpenAIUsage | null | undefined): AnthropicUsageOut {
  const read = u?.prompt_tokens_details?.cached_tokens ?? 0;
  const write = u?.prompt_tokens_details?.cache_write_tokens ?? 0;
  return {
    input_tokens: Math.max(0, (u?.prompt_tokens ?? 0) - read - write),
    output_tokens: u?.completion_tokens ?? 0,
    cache_creation_input_tokens: write,
    cache_read_input_tokens: read,
    ...(u?.cost !== undefined ? { cost: u.cost } : {}),
  };
}

/** Tool-call arguments as Anthropic's `input` object; arguments that are not a JSON object become `{}`. */
export function toolInput(args: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(args || '{}');
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** `chatcmpl-<request id>` → `msg_<request id>`. */
export const messageId = (completionId: string) => `msg_${completionId.replace(/^chatcmpl-/, '')}`;

/** A buffered chat completion as an Anthropic message. */
export function toAnthropicMessage(c: ChatCompletion): AnthropicMessageOut {
  const choice = c.choices[0];
  const content: AnthropicContentOut[] = [];
  const text = choice?.message.content ?? '';
  if (text) content.push({ type: 'text', text });
  for (const t of choice?.message.tool_calls ?? [])
    content.push({ type: 'tool_use', id: t.id, name: t.function.name, input: toolInput(t.function.arguments) });
  return {
    id: messageId(c.id),
    type: 'message',
    role: 'assistant',
    model: c.model,
    content,
    stop_reason: stopReasonOut(choice?.finish_reason),
    stop_sequence: null,
    usage: toAnthropicUsage(c.usage),
    ...(c.provider ? { provider: c.provider } : {}),
  };
}
