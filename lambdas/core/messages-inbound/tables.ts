/**
 * Translation tables of the Anthropic-compatible inbound route, as data so that each row is
 * tested on its own: tool choice in, finish reasons and error types out.
 */

import type { FinishReason } from '../../domain/openai';
import type { InboundToolChoice } from './schema';

/** Anthropic `tool_choice.type` → OpenAI `tool_choice` (a `tool` choice names its function instead). */
export const TOOL_CHOICE_IN: Readonly<Record<Exclude<InboundToolChoice['type'], 'tool'>, 'auto' | 'required' | 'none'>> = {
  auto: 'auto',
  any: 'required',
  none: 'none',
};

export type AnthropicStopReason = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'refusal';

/**
 * OpenAI `finish_reason` → Anthropic `stop_reason`. OpenAI does not say whether a stop sequence
 * ended the text, so `stop` is always `end_turn` (and `stop_sequence` is null).
 */
export const STOP_REASON_OUT: Readonly<Record<FinishReason, AnthropicStopReason>> = {
  stop: 'end_turn',
  length: 'max_tokens',
  tool_calls: 'tool_use',
  function_call: 'tool_use',
  content_filter: 'refusal',
};

/** Maps a finish reason; a missing one (a stream cut short upstream) is an ordinary end of turn. */
export function stopReasonOut(reason: FinishReason | null | undefined): AnthropicStopReason {
  return (reason && STOP_REASON_OUT[reason]) || 'end_turn';
}

/** Anthropic's error `type` for each HTTP status the router returns (the status itself is kept). */
export const ERROR_TYPE_OUT: ReadonlyArray<readonly [status: number, type: string]> = [
  [400, 'invalid_request_error'],
  [401, 'authentication_error'],
  [402, 'billing_error'],
  [403, 'permission_error'],
  [404, 'not_found_error'],
  [405, 'invalid_request_error'],
  [413, 'request_too_large'],
  [429, 'rate_limit_error'],
  [504, 'timeout_error'],
  [529, 'overloaded_error'],
];

/** The Anthropic error type for a status: other 4xx are invalid requests, other 5xx API errors. */
export function errorTypeOut(status: number): string {
  return ERROR_TYPE_OUT.find(([s]) => s === status)?.[1] ?? (status < 500 ? 'invalid_request_error' : 'api_error');
}
