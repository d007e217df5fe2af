/**
 * Gemini adapter (native generateContent / streamGenerateContent?alt=sse): request mapping,
 * buffered and streamed responses, usage normalization, errors — in process, no sockets.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import type { ProviderConfig } from '../../lambdas/core/config';
import { type ChatRequest, chatRequestSchema } from '../../lambdas/domain/chat-request';
import { RouterError, UpstreamError } from '../../lambdas/domain/errors';
import type { ProviderCallContext } from '../../lambdas/domain/ports';
import { geminiAdapter } from '../../lambdas/providers/gemini';
import {
  GEMINI_AUDIO_MIME,
  GEMINI_SKIP_SIGNATURE,
  GEMINI_TOOL_MODES,
  needsSignaturePlaceholder,
  toGeminiRequest,
} from '../../lambdas/providers/gemini/request';
import { fromGeminiResponse, GeminiStreamTranslator } from '../../lambdas/providers/gemini/response';
import type { GeminiResponse } from '../../lambdas/providers/gemini/wire';
import { GEMINI_FINISH_REASONS, GEMINI_TURN_ROLES } from '../../lambdas/providers/mapping-tables';
import { assemble, collect } from '../helpers/stream-events';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/gemini/${name}`, import.meta.url), 'utf8');
const json = <T>(name: string): T => JSON.parse(fixture(name)) as T;
const chatRequest = (): ChatRequest => chatRequestSchema().parse(json('chat.openai-request.json'));
const simple = (over: Record<string, unknown> = {}): ChatRequest =>
  chatRequestSchema().parse({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'Hi' }], ...over });

function sliced(text: string, size: number, status = 200): Response {
  const bytes = new TextEncoder().encode(text);
  let offset = 0;
  return new Response(
    new ReadableStream<Uint8Array>({
      pull(c) {
        if (offset >= bytes.length) return c.close();
        c.enqueue(bytes.slice(offset, offset + size));
        offset += size;
      },
    }),
    { status },
  );
}

function ctxWith(fetchImpl: (url: string, init: RequestInit) => Promise<Response>): ProviderCallContext {
  const provider = {
    id: 'gemini-test',
    kind: 'gemini',
    baseUrl: 'https://generativelanguage.test/v1beta/',
    timeoutMs: 10_000,
    dataCollection: 'deny',
  } as unknown as ProviderConfig;
  return { provider, apiKey: 'AIza-test', signal: new AbortController().signal, fetch: vi.fn(fetchImpl) as unknown as typeof fetch };
}

describe('gemini request mapping', () => {
  it('translates system, multi-turn, image, tools, tool results and sampling exactly as the fixture', () => {
    expect(toGeminiRequest(chatRequest())).toEqual(json('generate.request.expected.json'));
  });

  it.each(Object.entries(GEMINI_TURN_ROLES))('turn role %s is sent as Gemini role %s', (turn, geminiRole) => {
    const messages =
      turn === 'user'
        ? [{ role: 'user', content: 'x' }]
        : [
            { role: 'user', content: 'u' },
            { role: 'assistant', content: 'x' },
          ];
    expect(toGeminiRequest(simple({ messages })).contents.at(-1)).toEqual({ role: geminiRole, parts: [{ text: 'x' }] });
  });

  it.each(Object.entries(GEMINI_TOOL_MODES))('tool_choice "%s" becomes mode %s', (choice, mode) => {
    const tools = [{ type: 'function', function: { name: 'f' } }];
    expect(toGeminiRequest(simple({ tools, tool_choice: choice })).toolConfig).toEqual({ functionCallingConfig: { mode } });
  });

  it('a named tool_choice becomes ANY restricted to that function', () => {
    const tools = [{ type: 'function', function: { name: 'f' } }];
    expect(toGeminiRequest(simple({ tools, tool_choice: { type: 'function', function: { name: 'f' } } })).toolConfig).toEqual({
      functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['f'] },
    });
  });

  it.each(Object.entries(GEMINI_AUDIO_MIME))('input_audio format %s is sent inline as %s', (format, mimeType) => {
    const body = toGeminiRequest(
      simple({ messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'AAAA', format } }] }] }),
    );
    expect(body.contents[0]!.parts).toEqual([{ inlineData: { mimeType, data: 'AAAA' } }]);
  });

  it('sends structured output as responseJsonSchema and JSON mode as a MIME type', () => {
    const schema = { type: 'object', properties: { a: { type: 'string' } }, required: ['a'], additionalProperties: false };
    expect(
      toGeminiRequest(simple({ response_format: { type: 'json_schema', json_schema: { name: 'x', schema } } })).generationConfig,
    ).toEqual({
      responseMimeType: 'application/json',
      responseJsonSchema: schema,
    });
    expect(toGeminiRequest(simple({ response_format: { type: 'json_object' } })).generationConfig).toEqual({
      responseMimeType: 'application/json',
    });
  });

  it('maps http image URLs to fileData with the MIME type of their extension, and seed/penalties', () => {
    const body = toGeminiRequest(
      simple({
        messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/a/cat.JPG?x=1' } }] }],
        seed: 7,
        presence_penalty: 0.5,
        frequency_penalty: -0.5,
      }),
    );
    expect(body.contents[0]!.parts).toEqual([{ fileData: { fileUri: 'https://example.com/a/cat.JPG?x=1', mimeType: 'image/jpeg' } }]);
    expect(body.generationConfig).toEqual({ seed: 7, presencePenalty: 0.5, frequencyPenalty: -0.5 });
  });

  it('wraps non-object tool results as {result} and names the function from the earlier call', () => {
    const body = toGeminiRequest(
      simple({
        messages: [
          { role: 'user', content: 'q' },
          { role: 'assistant', tool_calls: [{ id: 'c1', type: 'function', function: { name: 'lookup', arguments: '{}' } }] },
          { role: 'tool', tool_call_id: 'c1', content: 'plain text' },
        ],
      }),
    );
    expect(body.contents[2]).toEqual({
      role: 'user',
      parts: [{ functionResponse: { name: 'lookup', response: { result: 'plain text' } } }],
    });
  });

  it('rejects a tool result that answers no known call', () => {
    const req = simple({
      messages: [
        { role: 'user', content: 'q' },
        { role: 'tool', tool_call_id: 'nope', content: 'x' },
      ],
    });
    expect(() => toGeminiRequest(req)).toThrow(RouterError);
  });

  it('adds the documented thought-signature placeholder to replayed calls for Gemini 3+, not 2.x', () => {
    expect(needsSignaturePlaceholder('gemini-2.5-flash')).toBe(false);
    expect(needsSignaturePlaceholder('gemini-3-pro-preview')).toBe(true);
    const messages = [
      { role: 'user', content: 'q' },
      {
        role: 'assistant',
        tool_calls: [
          { id: 'a', type: 'function', function: { name: 'f', arguments: '{}' } },
          { id: 'b', type: 'function', function: { name: 'f', arguments: '{}' } },
        ],
      },
    ];
    const parts = toGeminiRequest(simple({ model: 'gemini-3-pro-preview', messages })).contents[1]!.parts;
    expect(parts).toEqual([
      { functionCall: { name: 'f', args: {} }, thoughtSignature: GEMINI_SKIP_SIGNATURE },
      { functionCall: { name: 'f', args: {} } },
    ]);
  });
});

describe('gemini finish reasons', () => {
  it.each(Object.entries(GEMINI_FINISH_REASONS))('finishReason %s → finish_reason %s (buffered and streamed)', (reason, expected) => {
    const resp: GeminiResponse = {
      candidates: [{ content: { role: 'model', parts: [{ text: 'x' }] }, finishReason: reason }],
      usageMetadata: { promptTokenCount: 1 },
    };
    expect(fromGeminiResponse(resp, 'm').completion.choices[0]!.finish_reason).toBe(expected);
    const t = new GeminiStreamTranslator('m');
    t.handle(resp);
    expect(t.end().choices[0]!.finish_reason).toBe(expected);
  });
  it('STOP with a function call is tool_calls; a blocked prompt is content_filter', () => {
    expect(fromGeminiResponse(json('generate.tool-use.json'), 'm').completion.choices[0]!.finish_reason).toBe('tool_calls');
    expect(fromGeminiResponse(json('generate.prompt-blocked.json'), 'm').completion.choices[0]!.finish_reason).toBe('content_filter');
  });
});

describe('gemini adapter, buffered', () => {
  it('posts to models/<id>:generateContent with x-goog-api-key and maps the tool call', async () => {
    const ctx = ctxWith(async () => new Response(fixture('generate.tool-use.json')));
    const { completion, usage } = await geminiAdapter.chat(chatRequest(), ctx);
    const [url, init] = (ctx.fetch as unknown as ReturnType<typeof vi.fn>).mock.calls[0]! as [string, RequestInit];
    expect(url).toBe('https://generativelanguage.test/v1beta/models/gemini-2.5-flash:generateContent');
    expect(init.headers).toMatchObject({ 'x-goog-api-key': 'AIza-test' });
    expect(url).not.toContain('AIza');
    const msg = completion.choices[0]!.message;
    expect(msg.content).toBe('Let me check the weather in Lyon.');
    expect(msg.tool_calls).toEqual([
      { id: expect.stringMatching(/^call_/), type: 'function', function: { name: 'get_weather', arguments: '{"city":"Lyon","unit":"c"}' } },
    ]);
    // promptTokenCount includes the cached tokens; thoughts are output.
    expect(usage).toEqual({ promptTokens: 2272, completionTokens: 89, cachedReadTokens: 1800, cacheWriteTokens: 0, reasoningTokens: 65 });
  });

  it('leaves thought summaries out of the answer but bills thinking tokens as output', async () => {
    const { completion, usage } = await geminiAdapter.chat(
      simple(),
      ctxWith(async () => new Response(fixture('generate.thoughts-text.json'))),
    );
    expect(completion.choices[0]!.message.content).toBe('It is 18 °C and clear in Lyon.');
    expect(usage).toEqual({ promptTokens: 40, completionTokens: 112, cachedReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 100 });
    expect(completion.usage?.completion_tokens_details?.reasoning_tokens).toBe(100);
  });

  it('counts toolUsePromptTokenCount as input', async () => {
    const body = {
      candidates: [{ content: { parts: [{ text: 'x' }] }, finishReason: 'STOP' }],
      usageMetadata: { promptTokenCount: 10, toolUsePromptTokenCount: 5, candidatesTokenCount: 1 },
    };
    const { usage } = await geminiAdapter.chat(
      simple(),
      ctxWith(async () => new Response(JSON.stringify(body))),
    );
    expect(usage.promptTokens).toBe(15);
  });
});

describe('gemini adapter, streamed', () => {
  it.each([1, 9, 4096])('uses streamGenerateContent?alt=sse and yields chunks from %i-byte slices', async (size) => {
    const ctx = ctxWith(async () => sliced(fixture('stream.tool-use.sse'), size));
    const events = await collect(await geminiAdapter.chatStream(chatRequest(), ctx));
    expect((ctx.fetch as unknown as ReturnType<typeof vi.fn>).mock.calls[0]![0]).toBe(
      'https://generativelanguage.test/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse',
    );
    const first = events[0]!;
    expect(first.type === 'chunk' && first.chunk.choices[0]!.delta.role).toBe('assistant');
    const a = assemble(events);
    expect(a.content).toBe('Let me check the weather in Lyon.');
    expect(a.tools).toEqual([{ id: expect.stringMatching(/^call_/), name: 'get_weather', arguments: '{"city":"Lyon","unit":"c"}' }]);
    expect(a.finish).toBe('tool_calls');
    expect(events.filter((e) => e.type === 'usage')).toHaveLength(1);
    expect(events.at(-1)!.type).toBe('usage');
  });

  it.each([
    ['tool-use', 'stream.tool-use.sse', 'generate.tool-use.json'],
    ['thinking', 'stream.thoughts-text.sse', 'generate.thoughts-text.json'],
  ])('streamed and buffered usage are identical: %s', async (_n, sse, buffered) => {
    const streamed = await collect(
      await geminiAdapter.chatStream(
        simple(),
        ctxWith(async () => sliced(fixture(sse), 11)),
      ),
    );
    const { usage, completion } = await geminiAdapter.chat(
      simple(),
      ctxWith(async () => new Response(fixture(buffered))),
    );
    expect(streamed.at(-1)).toEqual({ type: 'usage', usage });
    expect(assemble(streamed).content).toBe(completion.choices[0]!.message.content ?? '');
  });

  it('a stream without a finish reason is a protocol error', async () => {
    const events = await geminiAdapter.chatStream(
      simple(),
      ctxWith(async () => sliced(fixture('stream.truncated.sse'), 20)),
    );
    await expect(collect(events)).rejects.toMatchObject({ reason: 'protocol' });
  });

  it('an error object mid-stream throws with its status', async () => {
    const sse = `data: ${JSON.stringify({ candidates: [{ content: { parts: [{ text: 'a' }] } }] })}\n\ndata: ${fixture('error.resource-exhausted.json').replace(/\n/g, '')}\n\n`;
    const events = await geminiAdapter.chatStream(
      simple(),
      ctxWith(async () => sliced(sse, 16)),
    );
    await expect(collect(events)).rejects.toMatchObject({
      reason: 'http',
      status: 429,
      message: 'gemini-test reported an error mid-stream (RESOURCE_EXHAUSTED)',
    });
  });
});

describe('gemini adapter, errors', () => {
  it('maps a non-2xx body to an OpenAI-shape error with a content-free message', async () => {
    const err = (await geminiAdapter
      .chat(
        chatRequest(),
        ctxWith(async () => new Response(fixture('error.resource-exhausted.json'), { status: 429 })),
      )
      .catch((e: unknown) => e)) as UpstreamError;
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err.message).toBe('gemini-test returned HTTP 429 (RESOURCE_EXHAUSTED)');
    expect(err.upstreamBody).toEqual({
      error: {
        message: 'Resource has been exhausted (e.g. check quota).',
        type: 'rate_limit_error',
        param: null,
        code: 'RESOURCE_EXHAUSTED',
      },
    });
    expect(err.retryable).toBe(true);
  });

  it('a non-JSON error body still yields a clean error', async () => {
    await expect(
      geminiAdapter.chatStream(
        simple(),
        ctxWith(async () => new Response('<html>bad gateway</html>', { status: 502 })),
      ),
    ).rejects.toMatchObject({
      reason: 'http',
      status: 502,
      message: 'gemini-test returned HTTP 502',
    });
  });
});
