/**
 * Streamed cost is exact however the network cuts the stream (property, fast-check): the same
 * upstream stream — OpenAI SSE, Anthropic SSE, Gemini SSE — delivered in pieces cut at arbitrary
 * byte offsets (inside an event, a JSON string, a multi-byte character) gives every adapter the
 * same usage, the same text and the same tool arguments as the stream delivered whole.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ProviderConfig } from '../../lambdas/core/config';
import { type ChatRequest, chatRequestSchema } from '../../lambdas/domain/chat-request';
import type { ProviderAdapter, ProviderCallContext } from '../../lambdas/domain/ports';
import type { NormalizedUsage } from '../../lambdas/domain/usage';
import { anthropicAdapter } from '../../lambdas/providers/anthropic';
import { geminiAdapter } from '../../lambdas/providers/gemini';
import { openaiAdapter } from '../../lambdas/providers/openai';
import { anthropicWire, geminiWire, openaiWire, SCRIPT, type Wire } from '../helpers/provider-upstreams';
import { assemble, collect } from '../helpers/stream-events';

interface Case {
  name: string;
  adapter: ProviderAdapter;
  wire: Wire;
  provider: ProviderConfig;
  usage: Record<string, unknown>;
  expected: NormalizedUsage;
}

const none = { cachedReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 };
const CASES: Case[] = [
  {
    name: 'openai',
    adapter: openaiAdapter,
    wire: openaiWire,
    provider: { id: 'oai', kind: 'openai', baseUrl: 'http://127.0.0.1:9/v1' } as ProviderConfig,
    usage: { prompt_tokens: 1234, completion_tokens: 56, total_tokens: 1290, prompt_tokens_details: { cached_tokens: 1024 } },
    expected: { promptTokens: 1234, completionTokens: 56, ...none, cachedReadTokens: 1024 },
  },
  {
    name: 'anthropic',
    adapter: anthropicAdapter,
    wire: anthropicWire,
    provider: { id: 'ant', kind: 'anthropic', baseUrl: 'http://127.0.0.1:9/v1' } as ProviderConfig,
    usage: { input_tokens: 472, cache_creation_input_tokens: 300, cache_read_input_tokens: 1800, output_tokens: 89 },
    expected: { promptTokens: 2572, completionTokens: 89, ...none, cachedReadTokens: 1800, cacheWriteTokens: 300 },
  },
  {
    name: 'gemini',
    adapter: geminiAdapter,
    wire: geminiWire,
    provider: { id: 'gem', kind: 'gemini', baseUrl: 'http://127.0.0.1:9/v1beta' } as ProviderConfig,
    usage: {
      promptTokenCount: 2272,
      candidatesTokenCount: 24,
      thoughtsTokenCount: 65,
      cachedContentTokenCount: 1800,
      totalTokenCount: 2361,
    },
    expected: { promptTokens: 2272, completionTokens: 89, ...none, cachedReadTokens: 1800, reasoningTokens: 65 },
  },
];

const TOOLS = [
  { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } },
];
const request = (tools: boolean): ChatRequest =>
  chatRequestSchema().parse({
    model: 'm',
    stream: true,
    messages: [{ role: 'user', content: 'Weather in Zürich?' }],
    ...(tools ? { tools: TOOLS } : {}),
  });

/** A Response whose body arrives cut at the given byte offsets. */
function cutAt(bytes: Uint8Array, cuts: readonly number[]): Response {
  const bounds = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let from = 0;
  for (const b of [...bounds, bytes.length]) {
    if (b > from) pieces.push(bytes.slice(from, b));
    from = Math.max(from, b);
  }
  let i = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i >= pieces.length) controller.close();
      else controller.enqueue(pieces[i++]!);
    },
  });
  return new Response(body, { status: 200 });
}

const ctx = (c: Case, response: () => Response): ProviderCallContext => ({
  provider: c.provider,
  apiKey: 'k',
  signal: new AbortController().signal,
  fetch: (async () => response()) as unknown as typeof fetch,
});

async function run(c: Case, tools: boolean, cuts: readonly number[]) {
  const raw = c.wire.streamed(tools ? { tool: 'get_weather' } : {}, 'm', c.usage);
  const bytes = typeof raw === 'string' ? new TextEncoder().encode(raw) : raw;
  const events = await collect(
    await c.adapter.chatStream(
      request(tools),
      ctx(c, () => cutAt(bytes, cuts)),
    ),
  );
  const usage = events.filter((e) => e.type === 'usage').map((e) => e.usage);
  return { usage, message: assemble(events), size: bytes.length };
}

describe('streams cut anywhere meter the same (property)', () => {
  for (const c of CASES) {
    it(`${c.name}: usage, text and tool arguments do not depend on where the stream is cut`, async () => {
      const whole = { text: await run(c, false, []), tool: await run(c, true, []) };
      // The reference itself is right: exact usage once, the scripted text and tool arguments.
      expect(whole.text.usage).toEqual([c.expected]);
      expect(whole.text.message.content).toBe(SCRIPT.text.join(''));
      expect(whole.tool.usage).toEqual([c.expected]);
      expect(whole.tool.message.tools[0]?.arguments).toBe(SCRIPT.toolArgs);
      await fc.assert(
        fc.asyncProperty(fc.boolean(), fc.array(fc.nat(4096), { maxLength: 40 }), async (tools, cuts) => {
          const cut = await run(c, tools, cuts);
          const reference = tools ? whole.tool : whole.text;
          expect(cut.usage).toEqual(reference.usage);
          expect(cut.message).toEqual(reference.message);
        }),
        { numRuns: 60 },
      );
    });
  }
});
