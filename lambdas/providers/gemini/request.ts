/**
 * OpenAI chat request → Gemini generateContent request.
 */

import type { ChatRequest, UserContentPart } from '../../domain/chat-request';
import { RouterError } from '../../domain/errors';
import {
  GEMINI_TURN_ROLES,
  mediaTypeFromUrl,
  OPENAI_ROLE_TO_TURN,
  parseDataUrl,
  parseToolArguments,
  pushTurn,
  samplingOf,
  type Turn,
  textOf,
  unsupported,
} from '../mapping-tables';
import type { GeminiFunctionCallingMode, GeminiGenerationConfig, GeminiPart, GeminiRequest } from './wire';

/** OpenAI string `tool_choice` → Gemini `functionCallingConfig.mode` (a named function is ANY + allowedFunctionNames). */
export const GEMINI_TOOL_MODES: Readonly<Record<'auto' | 'required' | 'none', GeminiFunctionCallingMode>> = {
  auto: 'AUTO',
  required: 'ANY',
  none: 'NONE',
};

/** OpenAI `input_audio.format` → Gemini inline MIME type. */
export const GEMINI_AUDIO_MIME: Readonly<Record<'wav' | 'mp3', string>> = { wav: 'audio/wav', mp3: 'audio/mp3' };

/**
 * Gemini 3 and later reject replayed function calls without the `thoughtSignature` the model
 * returned; OpenAI's format cannot carry it, so replayed calls get Google's documented
 * placeholder that skips the check. Gemini 1.x/2.x neither need nor get it.
 */
export const GEMINI_SKIP_SIGNATURE = 'skip_thought_signature_validator';
export function needsSignaturePlaceholder(model: string): boolean {
  return !/gemini-(1|2)(\.|-)/i.test(model);
}

const PROVIDER = 'The Gemini API';

/**
 * Builds the Gemini request body. `request.model` is already the upstream model id.
 *
 * @example
 * const body = toGeminiRequest({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'Hi' }] });
 */
export function toGeminiRequest(req: ChatRequest): GeminiRequest {
  const system: Array<{ text: string }> = [];
  const turns: Array<Turn<GeminiPart>> = [];
  const toolNames = new Map<string, string>(); // tool_call_id → function name, for functionResponse
  const placeholder = needsSignaturePlaceholder(req.model);

  req.messages.forEach((m, i) => {
    const role = OPENAI_ROLE_TO_TURN[m.role];
    if (role === 'system') {
      const text = textOf(m.content as string | Array<{ type: 'text'; text: string }>);
      if (text) system.push({ text });
      return;
    }
    pushTurn(turns, role, messageParts(m, i, toolNames, placeholder));
  });

  const body: GeminiRequest = { contents: turns.map((t) => ({ role: GEMINI_TURN_ROLES[t.role], parts: t.blocks })) };
  if (system.length) body.systemInstruction = { parts: system };
  if (req.tools?.length) {
    body.tools = [
      {
        functionDeclarations: req.tools.map((t) => ({
          name: t.function.name,
          ...(t.function.description ? { description: t.function.description } : {}),
          ...(t.function.parameters ? { parametersJsonSchema: t.function.parameters } : {}),
        })),
      },
    ];
    const c = req.tool_choice;
    if (typeof c === 'object') body.toolConfig = { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [c.function.name] } };
    else if (c) body.toolConfig = { functionCallingConfig: { mode: GEMINI_TOOL_MODES[c] } };
  }
  const config = generationConfig(req);
  if (Object.keys(config).length) body.generationConfig = config;
  return body;
}

function generationConfig(req: ChatRequest): GeminiGenerationConfig {
  const s = samplingOf(req);
  const g: GeminiGenerationConfig = {};
  if (s.maxTokens !== undefined) g.maxOutputTokens = s.maxTokens;
  if (s.temperature !== undefined) g.temperature = s.temperature;
  if (s.topP !== undefined) g.topP = s.topP;
  if (s.stop) g.stopSequences = s.stop;
  if (req.seed != null) g.seed = req.seed;
  if (req.presence_penalty != null) g.presencePenalty = req.presence_penalty;
  if (req.frequency_penalty != null) g.frequencyPenalty = req.frequency_penalty;
  const rf = req.response_format;
  if (rf?.type === 'json_object') g.responseMimeType = 'application/json';
  if (rf?.type === 'json_schema') {
    g.responseMimeType = 'application/json';
    if (rf.json_schema.schema) g.responseJsonSchema = rf.json_schema.schema;
  }
  return g;
}

function messageParts(m: ChatRequest['messages'][number], i: number, toolNames: Map<string, string>, placeholder: boolean): GeminiPart[] {
  switch (m.role) {
    case 'user':
      return typeof m.content === 'string' ? [{ text: m.content }] : m.content.map((p, j) => userPart(p, `messages[${i}].content[${j}]`));
    case 'assistant': {
      const parts: GeminiPart[] = [];
      const text = textOf(m.content);
      if (text) parts.push({ text });
      m.tool_calls?.forEach((tc, j) => {
        toolNames.set(tc.id, tc.function.name);
        const args = parseToolArguments(tc.function.arguments, `messages[${i}].tool_calls[${j}].function.arguments`);
        // Only the first call of a step carries a signature (parallel calls share it).
        parts.push({
          functionCall: { name: tc.function.name, args },
          ...(placeholder && j === 0 ? { thoughtSignature: GEMINI_SKIP_SIGNATURE } : {}),
        });
      });
      return parts;
    }
    case 'tool': {
      const name = toolNames.get(m.tool_call_id);
      if (!name)
        throw RouterError.invalidRequest(
          `Invalid parameter messages[${i}].tool_call_id: it does not match a preceding assistant tool call.`,
          `messages[${i}].tool_call_id`,
        );
      return [{ functionResponse: { name, response: toolResponse(textOf(m.content)) } }];
    }
    default:
      return [];
  }
}

/** Gemini wants an object: a JSON-object result is passed as is, anything else as `{ result }`. */
function toolResponse(text: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(text);
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // not JSON: wrap the text
  }
  return { result: text };
}

function userPart(p: UserContentPart, param: string): GeminiPart {
  switch (p.type) {
    case 'text':
      return { text: p.text };
    case 'image_url': {
      const url = p.image_url.url;
      const data = parseDataUrl(url);
      if (data) return { inlineData: { mimeType: data.mediaType, data: data.base64 } };
      if (/^https?:\/\//i.test(url)) {
        const mimeType = mediaTypeFromUrl(url);
        return { fileData: { fileUri: url, ...(mimeType ? { mimeType } : {}) } };
      }
      throw unsupported(PROVIDER, 'image URLs other than data: and http(s): URLs', `${param}.image_url`);
    }
    case 'input_audio':
      return { inlineData: { mimeType: GEMINI_AUDIO_MIME[p.input_audio.format], data: p.input_audio.data } };
    case 'file': {
      const data = p.file.file_data ? parseDataUrl(p.file.file_data) : undefined;
      if (data) return { inlineData: { mimeType: data.mediaType, data: data.base64 } };
      throw unsupported(PROVIDER, 'file parts other than base64 data: URLs', `${param}.file`);
    }
  }
}
