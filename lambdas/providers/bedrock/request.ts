/**
 * OpenAI chat request → Bedrock Converse / ConverseStream input.
 */
import type {
  ContentBlock,
  ConverseCommandInput,
  Message,
  SystemContentBlock,
  ToolChoice,
  ToolConfiguration,
} from '@aws-sdk/client-bedrock-runtime';
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

/** Converse temperatures are 0–1 for every model family; higher OpenAI values are clamped. */
export const BEDROCK_MAX_TEMPERATURE = 1;

/**
 * OpenAI string `tool_choice` → Converse `toolChoice`. Converse has no "none": the tool list is
 * dropped instead (unless the history holds tool blocks, which Converse only accepts with a
 * toolConfig; then the model may still call a tool).
 */
export const BEDROCK_TOOL_CHOICE: Readonly<Record<'auto' | 'required' | 'none', ToolChoice | undefined>> = {
  auto: { auto: {} },
  required: { any: {} },
  none: undefined,
};

const PROVIDER = 'Amazon Bedrock Converse';

/** The Converse input for a request (the same shape serves ConverseStream). */
export function toConverseInput(req: ChatRequest): ConverseCommandInput {
  if (req.response_format && req.response_format.type !== 'text')
    throw unsupported(PROVIDER, `response_format "${req.response_format.type}"`, 'response_format');

  const system: SystemContentBlock[] = [];
  const turns: Array<Turn<ContentBlock>> = [];
  req.messages.forEach((m, i) => {
    const role = OPENAI_ROLE_TO_TURN[m.role];
    if (role === 'system') {
      const text = textOf(m.content as string | Array<{ type: 'text'; text: string }>);
      if (text) system.push({ text });
      return;
    }
    pushTurn(turns, role, messageBlocks(m, i));
  });
  // Tool results must open the user turn that answers the tool use.
  for (const t of turns) if (t.role === 'user') t.blocks.sort((a, b) => Number(!!b.toolResult) - Number(!!a.toolResult));
  const messages: Message[] = turns.map((t) => ({ role: t.role, content: t.blocks }));

  const s = samplingOf(req);
  const input: ConverseCommandInput = { modelId: req.model, messages };
  if (system.length) input.system = system;
  const inference = {
    ...(s.maxTokens !== undefined ? { maxTokens: s.maxTokens } : {}),
    ...(s.temperature !== undefined ? { temperature: Math.min(s.temperature, BEDROCK_MAX_TEMPERATURE) } : {}),
    ...(s.topP !== undefined ? { topP: s.topP } : {}),
    ...(s.stop ? { stopSequences: s.stop } : {}),
  };
  if (Object.keys(inference).length) input.inferenceConfig = inference;
  const toolConfig = toolConfiguration(req, messages);
  if (toolConfig) input.toolConfig = toolConfig;
  return input;
}

function toolConfiguration(req: ChatRequest, messages: Message[]): ToolConfiguration | undefined {
  if (!req.tools?.length) return undefined;
  const c = req.tool_choice;
  const historyHasTools = messages.some((m) => m.content?.some((b) => b.toolUse || b.toolResult));
  if (c === 'none' && !historyHasTools) return undefined;
  const tools = req.tools.map((t) => ({
    toolSpec: {
      name: t.function.name,
      ...(t.function.description ? { description: t.function.description } : {}),
      inputSchema: { json: (t.function.parameters ?? { type: 'object', properties: {} }) as never },
    },
  }));
  const toolChoice = typeof c === 'object' ? { tool: { name: c.function.name } } : c ? BEDROCK_TOOL_CHOICE[c] : undefined;
  return { tools, ...(toolChoice ? { toolChoice } : {}) };
}

function messageBlocks(m: ChatRequest['messages'][number], i: number): ContentBlock[] {
  switch (m.role) {
    case 'user':
      return typeof m.content === 'string' ? [{ text: m.content }] : m.content.map((p, j) => userPart(p, `messages[${i}].content[${j}]`));
    case 'tool':
      return [{ toolResult: { toolUseId: m.tool_call_id, content: [{ text: textOf(m.content) }] } }];
    case 'assistant': {
      const blocks: ContentBlock[] = [];
      const text = textOf(m.content);
      if (text) blocks.push({ text });
      m.tool_calls?.forEach((tc, j) => {
        blocks.push({
          toolUse: {
            toolUseId: tc.id,
            name: tc.function.name,
            input: parseToolArguments(tc.function.arguments, `messages[${i}].tool_calls[${j}].function.arguments`) as never,
          },
        });
      });
      return blocks;
    }
    default:
      return [];
  }
}

function userPart(p: UserContentPart, param: string): ContentBlock {
  switch (p.type) {
    case 'text':
      return { text: p.text };
    case 'image_url': {
      const data = parseDataUrl(p.image_url.url);
      // Converse takes image bytes only; fetching client-supplied URLs from the router is not done.
      if (!data) throw unsupported(PROVIDER, 'image URLs (send the image inline as a base64 data: URL)', `${param}.image_url`);
      const format = IMAGE_MEDIA_TYPES[data.mediaType];
      if (!format) throw unsupported(PROVIDER, 'this image media type', `${param}.image_url`);
      return { image: { format, source: { bytes: Buffer.from(data.base64, 'base64') } } };
    }
    default:
      throw unsupported(PROVIDER, `"${p.type}" content parts`, param);
  }
}
