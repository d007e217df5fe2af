/**
 * OpenAI chat request → Anthropic Messages request.
 */

import type { ChatRequest, UserContentPart } from '../../domain/chat-request';
import {
  IMAGE_MEDIA_TYPES,
  OPENAI_ROLE_TO_TURN,
  parseDataUrl,
  parseToolArguments,
  pushTurn,
  samplingOf,
  type Turn,
  textOf,
  unsupported,
} from '../mapping-tables';
import type { AnthropicRequest, AnthropicRequestBlock, AnthropicToolChoice } from './wire';

/** Anthropic requires `max_tokens`; used when the client sets none. */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 4096;
/** Anthropic's temperature range is 0–1 (OpenAI's is 0–2); higher values are clamped. */
export const ANTHROPIC_MAX_TEMPERATURE = 1;

/** OpenAI string `tool_choice` → Anthropic `tool_choice.type`. */
export const ANTHROPIC_TOOL_CHOICE: Readonly<Record<'auto' | 'required' | 'none', AnthropicToolChoice['type']>> = {
  auto: 'auto',
  required: 'any',
  none: 'none',
};

const PROVIDER = 'The Anthropic Messages API';

/**
 * Builds the Anthropic request body. `request.model` is already the upstream model id.
 *
 * @example
 * const body = toAnthropicRequest({ model: 'claude-3-5-haiku-latest', messages: [{ role: 'user', content: 'Hi' }] });
 */
export function toAnthropicRequest(req: ChatRequest, stream = false): AnthropicRequest {
  if (req.response_format && req.response_format.type !== 'text')
    throw unsupported(PROVIDER, `response_format "${req.response_format.type}"`, 'response_format');

  const system: Array<{ type: 'text'; text: string }> = [];
  const turns: Array<Turn<AnthropicRequestBlock>> = [];
  req.messages.forEach((m, i) => {
    const role = OPENAI_ROLE_TO_TURN[m.role];
    if (role === 'system') {
      const text = textOf(m.content as string | Array<{ type: 'text'; text: string }>);
      if (text) system.push({ type: 'text', text });
      return;
    }
    pushTurn(turns, role, messageBlocks(m, i));
  });
  // A tool_result must open the user turn that answers a tool_use; keep the rest in order after it.
  for (const t of turns)
    if (t.role === 'user') t.blocks.sort((a, b) => Number(b.type === 'tool_result') - Number(a.type === 'tool_result'));

  const s = samplingOf(req);
  const body: AnthropicRequest = {
    model: req.model,
    max_tokens: s.maxTokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS,
    messages: turns.map((t) => ({ role: t.role, content: t.blocks })),
  };
  if (system.length) body.system = system;
  if (s.stop) body.stop_sequences = s.stop;
  if (s.temperature !== undefined) body.temperature = Math.min(s.temperature, ANTHROPIC_MAX_TEMPERATURE);
  if (s.topP !== undefined) body.top_p = s.topP;
  if (req.tools?.length) {
    body.tools = req.tools.map((t) => ({
      name: t.function.name,
      ...(t.function.description ? { description: t.function.description } : {}),
      input_schema: t.function.parameters ?? { type: 'object', properties: {} },
    }));
    const choice = toolChoice(req);
    if (choice) body.tool_choice = choice;
  }
  if (stream) body.stream = true;
  return body;
}

function toolChoice(req: ChatRequest): AnthropicToolChoice | undefined {
  const c = req.tool_choice;
  const noParallel = req.parallel_tool_calls === false ? { disable_parallel_tool_use: true } : {};
  if (c === undefined) return req.parallel_tool_calls === false ? { type: 'auto', ...noParallel } : undefined;
  if (typeof c === 'object') return { type: 'tool', name: c.function.name, ...noParallel };
  const type = ANTHROPIC_TOOL_CHOICE[c];
  if (type === 'auto' || type === 'any') return { type, ...noParallel };
  return { type: 'none' };
}

function messageBlocks(m: ChatRequest['messages'][number], i: number): AnthropicRequestBlock[] {
  switch (m.role) {
    case 'user':
      return typeof m.content === 'string'
        ? [{ type: 'text', text: m.content }]
        : m.content.map((p, j) => userPart(p, `messages[${i}].content[${j}]`));
    case 'tool':
      return [{ type: 'tool_result', tool_use_id: m.tool_call_id, content: textOf(m.content) }];
    case 'assistant': {
      const blocks: AnthropicRequestBlock[] = [];
      const text = textOf(m.content);
      if (text) blocks.push({ type: 'text', text });
      m.tool_calls?.forEach((tc, j) => {
        blocks.push({
          type: 'tool_use',
          id: tc.id,
          name: tc.function.name,
          input: parseToolArguments(tc.function.arguments, `messages[${i}].tool_calls[${j}].function.arguments`),
        });
      });
      return blocks;
    }
    default:
      return [];
  }
}

function userPart(p: UserContentPart, param: string): AnthropicRequestBlock {
  switch (p.type) {
    case 'text':
      return { type: 'text', text: p.text };
    case 'image_url': {
      const url = p.image_url.url;
      const data = parseDataUrl(url);
      if (data) {
        if (!IMAGE_MEDIA_TYPES[data.mediaType]) throw unsupported(PROVIDER, 'this image media type', `${param}.image_url`);
        return { type: 'image', source: { type: 'base64', media_type: data.mediaType, data: data.base64 } };
      }
      if (/^https?:\/\//i.test(url)) return { type: 'image', source: { type: 'url', url } };
      throw unsupported(PROVIDER, 'image URLs other than data: and http(s): URLs', `${param}.image_url`);
    }
    default:
      throw unsupported(PROVIDER, `"${p.type}" content parts`, param);
  }
}
