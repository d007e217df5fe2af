/**
 * Pre-flight token estimation for context-fit checks, price ceilings and budget reservations.
 * Billing never uses it: it always uses the upstream's reported usage.
 *
 * Error bound: BPE tokenizers in use (o200k, cl100k, Llama 3, Claude) spend about 4 UTF-8
 * bytes per token on English prose and code; this estimate charges one token per 3 bytes, so it
 * overestimates ordinary text by roughly a third. It can underestimate text denser than
 * 3 bytes/token (long random identifiers, base64 pasted as text): such text is at most
 * 1 token per byte, a 3× bound, which the reservation's settle step absorbs (settlement
 * uses the exact usage).
 */
import type { ChatRequest, EmbeddingsRequest } from '../domain/chat-request';

const BYTES_PER_TOKEN = 3;
/** Per-message overhead (role markers and separators) in chat templates. */
const MESSAGE_OVERHEAD = 4;
/** An image costs at most about this many tokens at high detail on the main vision models. */
export const IMAGE_TOKENS = 1600;

function textTokens(text: string): number {
  return Math.ceil(Buffer.byteLength(text, 'utf8') / BYTES_PER_TOKEN);
}

/** Estimated prompt tokens of a chat request (messages, tools, response schema). */
export function estimatePromptTokens(request: ChatRequest): number {
  let tokens = 3;
  for (const m of request.messages) {
    tokens += MESSAGE_OVERHEAD;
    const content = 'content' in m ? m.content : undefined;
    if (typeof content === 'string') tokens += textTokens(content);
    else if (Array.isArray(content)) {
      for (const part of content) {
        if (part.type === 'text') tokens += textTokens(part.text);
        else if (part.type === 'image_url') tokens += IMAGE_TOKENS;
        else if (part.type === 'refusal') tokens += textTokens(part.refusal);
        else tokens += textTokens(JSON.stringify(part));
      }
    }
    if (m.role === 'assistant' && m.tool_calls) tokens += textTokens(JSON.stringify(m.tool_calls));
  }
  if (request.tools?.length) tokens += textTokens(JSON.stringify(request.tools));
  if (request.response_format?.type === 'json_schema') tokens += textTokens(JSON.stringify(request.response_format.json_schema));
  return tokens;
}

/**
 * Upper bound of tokens per image on the vision models in the catalog. The largest is
 * gpt-4o-mini at high detail: 2,833 + 5,667 per 512-px tile, at most 8 tiles after OpenAI's
 * resize to 2048 × 768 → 48,169.
 */
export const MAX_IMAGE_TOKENS = 50_000;
/** Upper bound of chat-template tokens added per message. */
const MAX_MESSAGE_OVERHEAD = 16;
/** Upper bound of the system prompt providers add when tools are present (Anthropic's is about 350 tokens). */
const MAX_TOOL_PROMPT_OVERHEAD = 1_000;

/**
 * A strict upper bound of a chat request's prompt tokens, for budget reservations: byte-level
 * BPE tokenizers never spend more than one token per UTF-8 byte, plus template overhead per
 * message and a per-image maximum. Reserving against this bound means the settled cost can never
 * exceed what was reserved.
 */
export function maxPromptTokens(request: ChatRequest): number {
  const images = request.messages.reduce(
    (n, m) => n + (m.role === 'user' && Array.isArray(m.content) ? m.content.filter((p) => p.type === 'image_url').length : 0),
    0,
  );
  const textBytes = Buffer.byteLength(JSON.stringify({ m: request.messages, t: request.tools, r: request.response_format }), 'utf8');
  return (
    textBytes +
    request.messages.length * MAX_MESSAGE_OVERHEAD +
    images * MAX_IMAGE_TOKENS +
    (request.tools?.length ? MAX_TOOL_PROMPT_OVERHEAD : 0)
  );
}

/** Estimated input tokens of an embeddings request. */
export function estimateEmbeddingTokens(request: EmbeddingsRequest): number {
  const input = request.input;
  if (typeof input === 'string') return textTokens(input);
  let tokens = 0;
  for (const item of input) {
    if (typeof item === 'string') tokens += textTokens(item);
    else if (typeof item === 'number') tokens += 1;
    else tokens += item.length;
  }
  return tokens;
}

/** Whether any message carries an image part. */
export function usesImages(request: ChatRequest): boolean {
  return request.messages.some((m) => m.role === 'user' && Array.isArray(m.content) && m.content.some((p) => p.type === 'image_url'));
}
