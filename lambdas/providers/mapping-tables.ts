/**
 * Translation tables shared by the native-API adapters (Anthropic, Bedrock, Gemini), and the
 * few pure helpers that apply them. Tables are data so that every row can be tested on its own;
 * adapters never hard-code a mapping in control flow.
 */
import type { ChatRequest } from '../domain/chat-request';
import { RouterError, UnsupportedByOffer } from '../domain/errors';
import type { ChatCompletion, ChatCompletionChunk, ErrorBody, ErrorType, FinishReason, ToolCall } from '../domain/openai';
import type { NormalizedUsage } from '../domain/usage';
import { toOpenAIUsage } from '../domain/usage';

/** Anthropic Messages `stop_reason` → OpenAI `finish_reason`. */
export const ANTHROPIC_STOP_REASONS: Readonly<Record<string, FinishReason>> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  pause_turn: 'stop', // server-tool loop paused; the turn is complete from the client's view
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  tool_use: 'tool_calls',
  refusal: 'content_filter',
};

/** Bedrock Converse `stopReason` → OpenAI `finish_reason`. */
export const BEDROCK_STOP_REASONS: Readonly<Record<string, FinishReason>> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  tool_use: 'tool_calls',
  guardrail_intervened: 'content_filter',
  content_filtered: 'content_filter',
  // OpenAI has no error finish reason; the output ended, so report a normal stop.
  malformed_model_output: 'stop',
  malformed_tool_use: 'stop',
};

/** Gemini `finishReason` → OpenAI `finish_reason` (STOP with function calls becomes tool_calls). */
export const GEMINI_FINISH_REASONS: Readonly<Record<string, FinishReason>> = {
  STOP: 'stop',
  FINISH_REASON_UNSPECIFIED: 'stop',
  OTHER: 'stop',
  LANGUAGE: 'stop',
  MALFORMED_FUNCTION_CALL: 'stop',
  UNEXPECTED_TOOL_CALL: 'stop',
  TOO_MANY_TOOL_CALLS: 'stop',
  MAX_TOKENS: 'length',
  SAFETY: 'content_filter',
  RECITATION: 'content_filter',
  BLOCKLIST: 'content_filter',
  PROHIBITED_CONTENT: 'content_filter',
  SPII: 'content_filter',
  IMAGE_SAFETY: 'content_filter',
};

/** Looks a provider stop reason up in its table; unknown or missing values are a normal stop. */
export function mapFinishReason(table: Readonly<Record<string, FinishReason>>, reason: string | null | undefined): FinishReason {
  return (reason && Object.hasOwn(table, reason) ? table[reason] : undefined) ?? 'stop';
}

/**
 * OpenAI chat roles → the role of the provider turn they become. `system` means "hoisted into
 * the provider's top-level system prompt"; tool results travel in a user turn everywhere.
 */
export type TurnRole = 'system' | 'user' | 'assistant';
export const OPENAI_ROLE_TO_TURN: Readonly<Record<ChatRequest['messages'][number]['role'], TurnRole>> = {
  system: 'system',
  developer: 'system',
  user: 'user',
  tool: 'user',
  assistant: 'assistant',
};

/** Gemini names the assistant role `model`. */
export const GEMINI_TURN_ROLES: Readonly<Record<Exclude<TurnRole, 'system'>, 'user' | 'model'>> = { user: 'user', assistant: 'model' };

/** Upstream HTTP status → OpenAI error `type` of the error body returned to the client. */
export const ERROR_TYPE_BY_STATUS: ReadonlyArray<readonly [status: number, type: ErrorType]> = [
  [400, 'invalid_request_error'],
  [401, 'authentication_error'],
  [403, 'permission_error'],
  [404, 'not_found_error'],
  [413, 'invalid_request_error'],
  [422, 'invalid_request_error'],
  [429, 'rate_limit_error'],
];

/** The OpenAI error type for an upstream status (`upstream_error` when no row matches). */
export function errorTypeForStatus(status: number): ErrorType {
  return ERROR_TYPE_BY_STATUS.find(([s]) => s === status)?.[1] ?? 'upstream_error';
}

/** Image media types the three native APIs accept, with Bedrock's `ImageFormat` for each. */
export const IMAGE_MEDIA_TYPES: Readonly<Record<string, 'png' | 'jpeg' | 'gif' | 'webp'>> = {
  'image/png': 'png',
  'image/jpeg': 'jpeg',
  'image/jpg': 'jpeg',
  'image/gif': 'gif',
  'image/webp': 'webp',
};

/** File extension → media type, for http(s) image URLs whose type a provider wants declared. */
export const IMAGE_EXTENSIONS: Readonly<Record<string, string>> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
};

/** A base64 `data:` URL split into its media type and payload. */
export interface DataUrl {
  mediaType: string;
  base64: string;
}

/** Parses `data:<type>;base64,<payload>`; returns undefined for any other URL. */
export function parseDataUrl(url: string): DataUrl | undefined {
  const m = /^data:([a-z0-9.+-]+\/[a-z0-9.+-]+)(?:;[a-z0-9-]+=[^;,]*)*;base64,(.*)$/is.exec(url);
  if (!m) return undefined;
  return { mediaType: m[1]!.toLowerCase() === 'image/jpg' ? 'image/jpeg' : m[1]!.toLowerCase(), base64: m[2]! };
}

/** Media type of an http(s) image URL from its extension, if it has a known one. */
export function mediaTypeFromUrl(url: string): string | undefined {
  let pathname: string;
  try {
    pathname = new URL(url).pathname;
  } catch {
    return undefined; // a malformed URL has no known media type; the caller decides what that means
  }
  const ext = /\.([a-z0-9]+)(?:[?#]|$)/i.exec(pathname)?.[1]?.toLowerCase();
  return ext ? IMAGE_EXTENSIONS[ext] : undefined;
}

/** A 400 for a request feature the chosen provider cannot express. Names the parameter, never its value. */
export function unsupported(provider: string, what: string, param: string | null = null): UnsupportedByOffer {
  return new UnsupportedByOffer(`${provider} does not support ${what}.`, param);
}

/** The provider-independent sampling fields, normalized. */
export function samplingOf(req: ChatRequest): { maxTokens?: number; temperature?: number; topP?: number; stop?: string[] } {
  const stop = req.stop == null ? undefined : typeof req.stop === 'string' ? [req.stop] : req.stop;
  return {
    maxTokens: req.max_completion_tokens ?? req.max_tokens ?? undefined,
    temperature: req.temperature ?? undefined,
    topP: req.top_p ?? undefined,
    stop: stop?.length ? stop : undefined,
  };
}

/** Text of a string-or-text-parts content (system, tool and assistant messages). */
export function textOf(content: string | ReadonlyArray<{ type: string; text?: string; refusal?: string }> | null | undefined): string {
  if (content == null) return '';
  if (typeof content === 'string') return content;
  return content.map((p) => p.text ?? p.refusal ?? '').join('');
}

/** Parses OpenAI tool-call arguments (a JSON string) into the object native APIs want. */
export function parseToolArguments(args: string, param: string): Record<string, unknown> {
  if (args.trim() === '') return {};
  try {
    const v: unknown = JSON.parse(args);
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // fall through to the 400 below
  }
  throw RouterError.invalidRequest(`Invalid parameter ${param}: tool call arguments must be a JSON object.`, param);
}

/** Usage all zero, for adding up. */
export const ZERO_USAGE: Readonly<NormalizedUsage> = {
  promptTokens: 0,
  completionTokens: 0,
  cachedReadTokens: 0,
  cacheWriteTokens: 0,
  reasoningTokens: 0,
};

/** The OpenAI-format completion of one assistant turn: text (null when only tools were called), tool calls, finish reason, usage. */
export function assistantCompletion(
  id: string,
  model: string,
  text: string,
  toolCalls: ToolCall[],
  finishReason: FinishReason | null,
  usage: NormalizedUsage,
): ChatCompletion {
  return {
    id,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: text === '' && toolCalls.length ? null : text,
          ...(toolCalls.length ? { tool_calls: toolCalls } : {}),
        },
        finish_reason: finishReason,
        logprobs: null,
      },
    ],
    usage: toOpenAIUsage(usage),
  };
}

/** An OpenAI error body for an upstream error, with a code restricted to identifier characters. */
export function openAIErrorBody(status: number, message: string, code: string | null): ErrorBody {
  return { error: { message, type: errorTypeForStatus(status), param: null, code } };
}

/** Keeps an upstream error code only if it looks like an identifier (so no content can ride along). */
export function safeCode(code: unknown): string | null {
  return typeof code === 'string' && /^[A-Za-z0-9_.:-]{1,64}$/.test(code) ? code : null;
}

/** Builds chunks of one stream with a fixed id, model and timestamp. */
export function chunkFactory(id: string, model: string, created = Math.floor(Date.now() / 1000)) {
  return (delta: ChatCompletionChunk['choices'][number]['delta'], finishReason: FinishReason | null = null): ChatCompletionChunk => ({
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    choices: [{ index: 0, delta, finish_reason: finishReason }],
  });
}

/** One provider turn while a conversation is being translated. */
export interface Turn<B> {
  role: 'user' | 'assistant';
  blocks: B[];
}

/**
 * Appends blocks to the conversation, merging them into the previous turn when it has the same
 * role: Anthropic, Bedrock and Gemini want strictly alternating turns, while OpenAI allows e.g.
 * several tool messages (one per call) followed by a user message.
 */
export function pushTurn<B>(turns: Array<Turn<B>>, role: 'user' | 'assistant', blocks: B[]): void {
  if (blocks.length === 0) return;
  const last = turns.at(-1);
  if (last && last.role === role) last.blocks.push(...blocks);
  else turns.push({ role, blocks });
}
