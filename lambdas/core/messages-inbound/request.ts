/**
 * Anthropic Messages request → the router's OpenAI-format chat request. The result is validated
 * again by `chatCompletion`, so this file only reshapes; what OpenAI cannot express is a 400.
 */

import { RouterError } from '../../domain/errors';
import type { InboundBlock, InboundMessage, MessagesRequest } from './schema';
import { TOOL_CHOICE_IN } from './tables';

type ContentPart = { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } };
type ChatMessageIn =
  | { role: 'system'; content: Array<{ type: 'text'; text: string }> }
  | { role: 'user'; content: string | ContentPart[] }
  | {
      role: 'assistant';
      content: string | null;
      tool_calls?: Array<{ id: string; type: 'function'; function: { name: string; arguments: string } }>;
    }
  | { role: 'tool'; tool_call_id: string; content: string };

/** The chat request body handed to `chatCompletion`. */
export interface TranslatedChatRequest {
  model: string;
  models?: string[];
  provider?: MessagesRequest['provider'];
  messages: ChatMessageIn[];
  max_tokens: number;
  stop?: string[];
  temperature?: number;
  top_p?: number;
  stream?: boolean;
  stream_options?: { include_usage: boolean };
  tools?: Array<{ type: 'function'; function: { name: string; description?: string; parameters: Record<string, unknown> } }>;
  tool_choice?: 'auto' | 'required' | 'none' | { type: 'function'; function: { name: string } };
  parallel_tool_calls?: boolean;
  user?: string;
}

const unsupported = (what: string, param: string) =>
  RouterError.invalidRequest(`${what} is not supported on /v1/messages.`, param, 'unsupported_parameter');

function imagePart(block: Extract<InboundBlock, { type: 'image' }>): ContentPart {
  const s = block.source;
  return { type: 'image_url', image_url: { url: s.type === 'base64' ? `data:${s.media_type};base64,${s.data}` : s.url } };
}

/** A tool_result's content as the text of an OpenAI tool message (which takes text only). */
function toolResultText(block: Extract<InboundBlock, { type: 'tool_result' }>, param: string): string {
  if (block.content === undefined) return '';
  if (typeof block.content === 'string') return block.content;
  return block.content
    .map((b, k) => {
      if (b.type === 'image') throw unsupported('An image inside a tool_result', `${param}.content[${k}]`);
      return b.text;
    })
    .join('');
}

/**
 * One Anthropic user turn → OpenAI messages. Tool results become `tool` messages, placed first
 * (OpenAI wants them right after the assistant's tool calls); the rest becomes one user message.
 */
function userMessages(m: InboundMessage, i: number): ChatMessageIn[] {
  if (typeof m.content === 'string') return [{ role: 'user', content: m.content }];
  const tools: ChatMessageIn[] = [];
  const parts: ContentPart[] = [];
  m.content.forEach((b, j) => {
    const param = `messages[${i}].content[${j}]`;
    switch (b.type) {
      case 'text':
        parts.push({ type: 'text', text: b.text });
        break;
      case 'image':
        parts.push(imagePart(b));
        break;
      case 'tool_result':
        tools.push({ role: 'tool', tool_call_id: b.tool_use_id, content: toolResultText(b, param) });
        break;
      case 'tool_use':
        throw unsupported('A tool_use block in a user message', param);
      default:
        break; // thinking blocks are dropped
    }
  });
  return parts.length ? [...tools, { role: 'user', content: parts }] : tools;
}

/** One Anthropic assistant turn → one OpenAI assistant message with text and tool calls. */
function assistantMessage(m: InboundMessage, i: number): ChatMessageIn[] {
  if (typeof m.content === 'string') return [{ role: 'assistant', content: m.content }];
  let text = '';
  const calls: Array<{ id: string; type: 'function'; function: { name: string; arguments: string } }> = [];
  m.content.forEach((b, j) => {
    if (b.type === 'text') text += b.text;
    else if (b.type === 'tool_use')
      calls.push({ id: b.id, type: 'function', function: { name: b.name, arguments: JSON.stringify(b.input) } });
    else if (b.type === 'image' || b.type === 'tool_result')
      throw unsupported(`An ${b.type} block in an assistant message`, `messages[${i}].content[${j}]`);
  });
  if (!calls.length) return [{ role: 'assistant', content: text }];
  return [{ role: 'assistant', content: text || null, tool_calls: calls }];
}

/**
 * Translates a validated Anthropic request. Streams always ask for usage, which the final
 * `message_delta` reports.
 *
 * @example
 * toChatRequest({ model: 'mock/echo-small', max_tokens: 64, messages: [{ role: 'user', content: 'Hi' }] })
 * // { model: 'mock/echo-small', max_tokens: 64, messages: [{ role: 'user', content: 'Hi' }] }
 */
export function toChatRequest(req: MessagesRequest): TranslatedChatRequest {
  const messages: ChatMessageIn[] = [];
  if (req.system !== undefined) {
    const parts =
      typeof req.system === 'string'
        ? [{ type: 'text' as const, text: req.system }]
        : req.system.map((b) => ({ type: 'text' as const, text: b.text }));
    if (parts.some((p) => p.text)) messages.push({ role: 'system', content: parts });
  }
  req.messages.forEach((m, i) => {
    messages.push(...(m.role === 'user' ? userMessages(m, i) : assistantMessage(m, i)));
  });

  const out: TranslatedChatRequest = { model: req.model, messages, max_tokens: req.max_tokens };
  if (req.models) out.models = req.models;
  if (req.provider) out.provider = req.provider;
  if (req.stop_sequences?.length) out.stop = req.stop_sequences;
  if (req.temperature !== undefined) out.temperature = req.temperature;
  if (req.top_p !== undefined) out.top_p = req.top_p;
  if (req.metadata?.user_id) out.user = req.metadata.user_id;
  if (req.stream) {
    out.stream = true;
    out.stream_options = { include_usage: true };
  }
  if (req.tools?.length) {
    out.tools = req.tools.map((t) => ({
      type: 'function',
      function: { name: t.name, ...(t.description ? { description: t.description } : {}), parameters: t.input_schema },
    }));
  }
  const choice = req.tool_choice;
  if (choice && out.tools) {
    out.tool_choice = choice.type === 'tool' ? { type: 'function', function: { name: choice.name } } : TOOL_CHOICE_IN[choice.type];
    if (choice.type !== 'none' && choice.disable_parallel_tool_use) out.parallel_tool_calls = false;
  }
  return out;
}
