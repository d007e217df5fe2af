/**
 * Wire shapes of the OpenAI Chat Completions API that the router produces and consumes.
 * Requests are described by the zod schema in `chat-schema.ts`; these are the responses.
 */

export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface ToolCallDelta {
  index: number;
  id?: string;
  type?: 'function';
  function?: { name?: string; arguments?: string };
}

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'function_call';

/** OpenAI's usage object, plus OpenRouter's `cost` (USD) that the router adds. */
export interface OpenAIUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: { cached_tokens?: number; cache_write_tokens?: number; audio_tokens?: number };
  completion_tokens_details?: { reasoning_tokens?: number; audio_tokens?: number };
  cost?: number;
}

export interface ChatCompletionMessage {
  role: 'assistant';
  content: string | null;
  refusal?: string | null;
  tool_calls?: ToolCall[];
}

/** One output token's log probability (`logprobs: true`), as an OpenAI-compatible upstream sends it. */
export interface TokenLogprob {
  token: string;
  logprob: number;
  bytes: number[] | null;
  top_logprobs?: Array<{ token: string; logprob: number; bytes: number[] | null }>;
}

/** A choice's log probabilities, passed on from the upstream as sent. */
export interface ChoiceLogprobs {
  content: TokenLogprob[] | null;
  refusal?: TokenLogprob[] | null;
}

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: Array<{ index: number; message: ChatCompletionMessage; finish_reason: FinishReason | null; logprobs: ChoiceLogprobs | null }>;
  usage?: OpenAIUsage;
  system_fingerprint?: string | null;
  /** Router extension (as OpenRouter): the provider that served the request. */
  provider?: string;
}

export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: Array<{
    index: number;
    delta: { role?: 'assistant'; content?: string | null; refusal?: string | null; tool_calls?: ToolCallDelta[] };
    finish_reason: FinishReason | null;
    logprobs?: ChoiceLogprobs | null;
  }>;
  usage?: OpenAIUsage | null;
  system_fingerprint?: string | null;
  provider?: string;
}

export interface EmbeddingResponse {
  object: 'list';
  data: Array<{ object: 'embedding'; index: number; embedding: number[] | string }>;
  model: string;
  usage: { prompt_tokens: number; total_tokens: number; cost?: number };
  provider?: string;
}

/** The `type` of an OpenAI-format error. */
export type ErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'insufficient_quota'
  | 'api_error'
  | 'upstream_error';

export interface ErrorBody {
  error: { message: string; type: ErrorType; param: string | null; code: string | null; metadata?: Record<string, unknown> };
}
