/**
 * The offline mock provider: deterministic replies, tool calls, streaming and real usage
 * numbers, with no network. The quickstart and the tests use it. Its replies never repeat
 * the prompt, so a prompt cannot leak through it into anything the router handles.
 */
import type { ChatRequest, FunctionTool } from '../../domain/chat-request';
import type { ChatCompletion, ChatCompletionChunk, FinishReason, ToolCall } from '../../domain/openai';
import type { ProviderAdapter, StreamEvent } from '../../domain/ports';
import type { NormalizedUsage } from '../../domain/usage';

const REPLY_WORDS =
  'Hello from the Cheap Token Router mock provider. This reply is deterministic, offline, and priced like a real one.'.split(' ');

interface MockPlan {
  text: string[];
  toolCall?: ToolCall;
  finish: FinishReason;
  usage: NormalizedUsage;
}

/** A value that satisfies a JSON-schema fragment, for deterministic tool arguments. */
function sampleValue(schema: unknown, key: string): unknown {
  const s = (schema ?? {}) as {
    type?: string;
    enum?: unknown[];
    properties?: Record<string, unknown>;
    required?: string[];
    items?: unknown;
  };
  if (s.enum?.length) return s.enum[0];
  switch (s.type) {
    case 'integer':
    case 'number':
      return 42;
    case 'boolean':
      return true;
    case 'array':
      return [sampleValue(s.items, key)];
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const k of s.required ?? Object.keys(s.properties ?? {})) out[k] = sampleValue(s.properties?.[k], k);
      return out;
    }
    default:
      return `sample ${key}`;
  }
}

function chooseTool(request: ChatRequest): FunctionTool | undefined {
  if (!request.tools?.length || request.tool_choice === 'none') return undefined;
  const last = request.messages[request.messages.length - 1]!;
  if (last.role === 'tool') return undefined;
  if (typeof request.tool_choice === 'object')
    return request.tools.find((t) => t.function.name === (request.tool_choice as { function: { name: string } }).function.name);
  return request.tools[0];
}

/**
 * Tokens of a text the way a BPE tokenizer roughly counts English: each whitespace-separated word
 * is one token per 4 characters or part of 4 (so a 1,800-character word is 450, not 1).
 */
export function mockTextTokens(text: string): number {
  let tokens = 0;
  for (const word of text.split(/\s+/)) if (word) tokens += Math.ceil(word.length / 4);
  return tokens;
}

/**
 * The mock's own prompt-token count, deliberately unlike the router's estimator (core/tokens, which
 * counts UTF-8 bytes): `mockTextTokens` of every text the request carries, plus 3 per message and 2
 * per tool. Its usage is what a provider reports, so tests that compare the router's metering with it
 * compare two independent computations.
 */
function countPromptTokens(request: ChatRequest): number {
  const words = mockTextTokens;
  let tokens = 0;
  for (const m of request.messages) {
    tokens += 3;
    const content = 'content' in m ? m.content : undefined;
    if (typeof content === 'string') tokens += words(content);
    else if (Array.isArray(content))
      for (const part of content)
        tokens += part.type === 'text' ? words(part.text) : part.type === 'image_url' ? 85 : words(JSON.stringify(part));
    if (m.role === 'assistant' && m.tool_calls) for (const c of m.tool_calls) tokens += words(`${c.function.name} ${c.function.arguments}`);
  }
  for (const t of request.tools ?? []) tokens += 2 + words(JSON.stringify(t.function));
  return Math.max(1, tokens);
}

function plan(request: ChatRequest, seq: number): MockPlan {
  const promptTokens = countPromptTokens(request);
  // Simulate automatic prompt caching: half of a long prompt, in 128-token blocks, is a cache read.
  const cachedReadTokens = promptTokens >= 1024 ? Math.floor(promptTokens / 2 / 128) * 128 : 0;
  const limit = request.max_completion_tokens ?? request.max_tokens ?? Infinity;
  const tool = chooseTool(request);
  if (tool) {
    const args = JSON.stringify(sampleValue(tool.function.parameters ?? { type: 'object' }, tool.function.name));
    const completionTokens = Math.ceil(args.length / 4) + 8;
    return {
      text: [],
      toolCall: { id: `call_mock_${seq}`, type: 'function', function: { name: tool.function.name, arguments: args } },
      finish: 'tool_calls',
      usage: { promptTokens, completionTokens, cachedReadTokens, cacheWriteTokens: 0, reasoningTokens: 0 },
    };
  }
  let words =
    request.messages[request.messages.length - 1]!.role === 'tool'
      ? ['The', 'tool', 'result', 'is', 'in.', ...REPLY_WORDS.slice(0, 6)]
      : REPLY_WORDS;
  if (request.response_format && request.response_format.type !== 'text') words = ['{"reply":', '"mock', 'reply"}'];
  const finish: FinishReason = words.length > limit ? 'length' : 'stop';
  const text = words.slice(0, Math.min(words.length, limit)).map((w, i) => (i === 0 ? w : ` ${w}`));
  return {
    text,
    finish,
    usage: { promptTokens, completionTokens: text.length, cachedReadTokens, cacheWriteTokens: 0, reasoningTokens: 0 },
  };
}

let counter = 0;
const created = () => Math.floor(Date.now() / 1000);

export const mockAdapter: ProviderAdapter = {
  kind: 'mock',
  async chat(request) {
    const p = plan(request, ++counter);
    const completion: ChatCompletion = {
      id: `chatcmpl-mock-${counter}`,
      object: 'chat.completion',
      created: created(),
      model: request.model,
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: p.toolCall ? null : p.text.join(''),
            refusal: null,
            ...(p.toolCall ? { tool_calls: [p.toolCall] } : {}),
          },
          finish_reason: p.finish,
          logprobs: null,
        },
      ],
      usage: {
        prompt_tokens: p.usage.promptTokens,
        completion_tokens: p.usage.completionTokens,
        total_tokens: p.usage.promptTokens + p.usage.completionTokens,
        prompt_tokens_details: { cached_tokens: p.usage.cachedReadTokens },
      },
    };
    return { completion, usage: p.usage };
  },
  async chatStream(request) {
    const p = plan(request, ++counter);
    const id = `chatcmpl-mock-${counter}`;
    const base = { id, object: 'chat.completion.chunk' as const, created: created(), model: request.model };
    const chunk = (delta: ChatCompletionChunk['choices'][number]['delta'], finish: FinishReason | null = null): StreamEvent => ({
      type: 'chunk',
      chunk: { ...base, choices: [{ index: 0, delta, finish_reason: finish }] },
    });
    return (async function* () {
      yield chunk({ role: 'assistant', content: '' });
      for (const piece of p.text) yield chunk({ content: piece });
      if (p.toolCall) {
        // Split the arguments across chunks, as real providers do.
        const args = p.toolCall.function.arguments;
        const cut = Math.max(1, Math.floor(args.length / 2));
        yield chunk({
          tool_calls: [{ index: 0, id: p.toolCall.id, type: 'function', function: { name: p.toolCall.function.name, arguments: '' } }],
        });
        yield chunk({ tool_calls: [{ index: 0, function: { arguments: args.slice(0, cut) } }] });
        yield chunk({ tool_calls: [{ index: 0, function: { arguments: args.slice(cut) } }] });
      }
      yield chunk({}, p.finish);
      yield { type: 'usage', usage: p.usage };
    })();
  },
  async embeddings(request) {
    const inputs = typeof request.input === 'string' ? [request.input] : request.input;
    const dims = request.dimensions ?? 8;
    let promptTokens = 0;
    const data = inputs.map((item, index) => {
      const text = typeof item === 'string' ? item : JSON.stringify(item);
      promptTokens += Math.max(1, Math.ceil(Buffer.byteLength(text) / 4));
      // A deterministic unit vector derived from the input's length and position only.
      const raw = Array.from({ length: dims }, (_, d) => Math.sin(text.length + index + d + 1));
      const norm = Math.hypot(...raw) || 1;
      return { object: 'embedding' as const, index, embedding: raw.map((v) => v / norm) };
    });
    return {
      response: { object: 'list', data, model: request.model, usage: { prompt_tokens: promptTokens, total_tokens: promptTokens } },
      usage: { promptTokens, completionTokens: 0, cachedReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 },
    };
  },
};
