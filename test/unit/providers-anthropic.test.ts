/**
 * Anthropic Messages adapter: request mapping, buffered and streamed response mapping, usage
 * normalization and error classification, against wire fixtures — in process, no sockets.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import type { ProviderConfig } from '../../lambdas/core/config';
import { type ChatRequest, chatRequestSchema } from '../../lambdas/domain/chat-request';
import { RouterError, UpstreamError } from '../../lambdas/domain/errors';
import type { ProviderCallContext, StreamEvent } from '../../lambdas/domain/ports';
import { anthropicAdapter } from '../../lambdas/providers/anthropic';
import { ANTHROPIC_DEFAULT_MAX_TOKENS, ANTHROPIC_TOOL_CHOICE, toAnthropicRequest } from '../../lambdas/providers/anthropic/request';
import { ANTHROPIC_STREAM_ERROR_STATUS, AnthropicStreamTranslator, fromAnthropicMessage } from '../../lambdas/providers/anthropic/response';
import type { AnthropicMessage } from '../../lambdas/providers/anthropic/wire';
import {
  ANTHROPIC_STOP_REASONS,
  ERROR_TYPE_BY_STATUS,
  errorTypeForStatus,
  OPENAI_ROLE_TO_TURN,
} from '../../lambdas/providers/mapping-tables';
import { asHttp } from '../helpers/http-error';
import { assemble, collect } from '../helpers/stream-events';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/anthropic/${name}`, import.meta.url), 'utf8');
const json = <T>(name: string): T => JSON.parse(fixture(name)) as T;
const chatRequest = (over: Partial<ChatRequest> = {}): ChatRequest =>
  chatRequestSchema().parse({ ...json<object>('chat.openai-request.json'), ...over });
const simple = (over: Record<string, unknown> = {}): ChatRequest =>
  chatRequestSchema().parse({ model: 'claude-x', messages: [{ role: 'user', content: 'Hi' }], ...over });

/** A Response whose body arrives in `size`-byte pieces, to cross every SSE boundary. */
function sliced(text: string, size: number, init: ResponseInit = {}): Response {
  const bytes = new TextEncoder().encode(text);
  let offset = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(offset, offset + size));
      offset += size;
    },
  });
  return new Response(body, { status: 200, ...init });
}

function ctxWith(
  fetchImpl: (url: string, init: RequestInit) => Promise<Response>,
  signal = new AbortController().signal,
): ProviderCallContext {
  const provider = {
    id: 'anthropic-test',
    kind: 'anthropic',
    baseUrl: 'https://api.anthropic.test/v1',
    timeoutMs: 10_000,
    dataCollection: 'deny',
  } as unknown as ProviderConfig;
  return { provider, apiKey: 'sk-ant-test', signal, fetch: vi.fn(fetchImpl) as unknown as typeof fetch };
}

describe('shared mapping tables', () => {
  // Each conversation ends with (or, for system roles, starts with) a message of the role under test.
  const conversations: Record<string, unknown[]> = {
    system: [
      { role: 'system', content: 'x' },
      { role: 'user', content: 'u' },
    ],
    developer: [
      { role: 'developer', content: 'x' },
      { role: 'user', content: 'u' },
    ],
    user: [{ role: 'user', content: 'x' }],
    assistant: [
      { role: 'user', content: 'u' },
      { role: 'assistant', content: 'x' },
    ],
    tool: [
      { role: 'user', content: 'u' },
      { role: 'assistant', tool_calls: [{ id: 't1', type: 'function', function: { name: 'f', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: 't1', content: 'x' },
    ],
  };
  it.each(Object.entries(OPENAI_ROLE_TO_TURN))('OpenAI role %s becomes a %s turn', (role, turn) => {
    const body = toAnthropicRequest(simple({ messages: conversations[role] }));
    if (turn === 'system') {
      expect(body.system).toEqual([{ type: 'text', text: 'x' }]);
      expect(body.messages.map((m) => m.role)).toEqual(['user']);
    } else expect(body.messages.at(-1)!.role).toBe(turn);
  });

  it.each(ERROR_TYPE_BY_STATUS)('upstream HTTP %i maps to error type %s', (status, type) => {
    expect(errorTypeForStatus(status)).toBe(type);
  });
  it('unlisted statuses map to upstream_error', () => expect(errorTypeForStatus(503)).toBe('upstream_error'));
});

describe('anthropic request mapping', () => {
  it('translates system, multi-turn, image, tools, tool results and sampling exactly as the fixture', () => {
    expect(toAnthropicRequest(chatRequest())).toEqual(json('chat.request.expected.json'));
    expect(toAnthropicRequest(chatRequest(), true)).toEqual({ ...json<object>('chat.request.expected.json'), stream: true });
  });

  it('defaults max_tokens (required by Anthropic) and prefers max_completion_tokens', () => {
    expect(toAnthropicRequest(simple()).max_tokens).toBe(ANTHROPIC_DEFAULT_MAX_TOKENS);
    expect(toAnthropicRequest(simple({ max_tokens: 10, max_completion_tokens: 20 })).max_tokens).toBe(20);
  });

  it('clamps temperature to Anthropic’s 0–1 range', () => {
    expect(toAnthropicRequest(simple({ temperature: 1.7 })).temperature).toBe(1);
  });

  it.each(Object.entries(ANTHROPIC_TOOL_CHOICE))('tool_choice "%s" becomes {type:"%s"}', (choice, type) => {
    const tools = [{ type: 'function', function: { name: 'f' } }];
    expect(toAnthropicRequest(simple({ tools, tool_choice: choice })).tool_choice).toEqual({ type });
  });

  it('maps a named tool_choice and parallel_tool_calls=false', () => {
    const tools = [{ type: 'function', function: { name: 'f' } }];
    expect(
      toAnthropicRequest(simple({ tools, tool_choice: { type: 'function', function: { name: 'f' } }, parallel_tool_calls: false }))
        .tool_choice,
    ).toEqual({
      type: 'tool',
      name: 'f',
      disable_parallel_tool_use: true,
    });
    expect(toAnthropicRequest(simple({ tools })).tools).toEqual([{ name: 'f', input_schema: { type: 'object', properties: {} } }]);
  });

  it('passes http(s) image URLs as url sources and joins several system/developer messages', () => {
    const body = toAnthropicRequest(
      simple({
        messages: [
          { role: 'system', content: 'a' },
          { role: 'developer', content: [{ type: 'text', text: 'b' }] },
          { role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }] },
        ],
      }),
    );
    expect(body.system).toEqual([
      { type: 'text', text: 'a' },
      { type: 'text', text: 'b' },
    ]);
    expect(body.messages[0]!.content).toEqual([{ type: 'image', source: { type: 'url', url: 'https://example.com/cat.png' } }]);
  });

  it('puts several tool results in one user turn, before any user text', () => {
    const body = toAnthropicRequest(
      simple({
        messages: [
          { role: 'user', content: 'q' },
          {
            role: 'assistant',
            tool_calls: [
              { id: 'a', type: 'function', function: { name: 'f', arguments: '{"x":1}' } },
              { id: 'b', type: 'function', function: { name: 'f', arguments: '' } },
            ],
          },
          { role: 'tool', tool_call_id: 'a', content: '1' },
          { role: 'tool', tool_call_id: 'b', content: [{ type: 'text', text: '2' }] },
          { role: 'user', content: 'thanks' },
        ],
      }),
    );
    expect(body.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(body.messages[1]!.content).toEqual([
      { type: 'tool_use', id: 'a', name: 'f', input: { x: 1 } },
      { type: 'tool_use', id: 'b', name: 'f', input: {} },
    ]);
    expect(body.messages[2]!.content.map((b) => b.type)).toEqual(['tool_result', 'tool_result', 'text']);
  });

  it.each([
    [
      'response_format json_schema',
      { response_format: { type: 'json_schema', json_schema: { name: 'x', schema: {} } } },
      'response_format',
    ],
    ['response_format json_object', { response_format: { type: 'json_object' } }, 'response_format'],
    [
      'audio parts',
      { messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'AAA', format: 'wav' } }] }] },
      'messages[0].content[0]',
    ],
    [
      'non-JSON tool arguments',
      {
        messages: [
          { role: 'user', content: 'q' },
          { role: 'assistant', tool_calls: [{ id: 'a', type: 'function', function: { name: 'f', arguments: 'not json' } }] },
        ],
      },
      'messages[1].tool_calls[0].function.arguments',
    ],
  ])('rejects %s with a 400 that names the parameter', (_what, over, param) => {
    let err: unknown;
    try {
      toAnthropicRequest(simple(over));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RouterError);
    expect(asHttp(err).status).toBe(400);
    expect((err as RouterError).param).toBe(param);
    expect((err as RouterError).message).not.toContain('not json');
  });
});

describe('anthropic finish reasons', () => {
  it.each(Object.entries(ANTHROPIC_STOP_REASONS))('stop_reason %s → finish_reason %s (buffered and streamed)', (reason, expected) => {
    const msg: AnthropicMessage = { ...json<AnthropicMessage>('message.text-cache-write.json'), stop_reason: reason };
    expect(fromAnthropicMessage(msg, 'm').completion.choices[0]!.finish_reason).toBe(expected);
    const t = new AnthropicStreamTranslator('m');
    t.handle({ type: 'message_start', message: { ...msg, content: [], stop_reason: null } });
    t.handle({ type: 'message_delta', delta: { stop_reason: reason }, usage: { output_tokens: 1 } });
    expect(t.handle({ type: 'message_stop' })[0]!.choices[0]!.finish_reason).toBe(expected);
  });
  it('an unknown stop_reason is a normal stop', () => {
    const msg = { ...json<AnthropicMessage>('message.text-cache-write.json'), stop_reason: 'something_new' };
    expect(fromAnthropicMessage(msg, 'm').completion.choices[0]!.finish_reason).toBe('stop');
  });
});

describe('anthropic adapter, buffered', () => {
  it('posts to /v1/messages with x-api-key and anthropic-version, and maps the tool-use response', async () => {
    const ctx = ctxWith(
      async () => new Response(fixture('message.tool-use.json'), { status: 200, headers: { 'content-type': 'application/json' } }),
    );
    const { completion, usage } = await anthropicAdapter.chat(chatRequest(), ctx);
    const [url, init] = (ctx.fetch as unknown as ReturnType<typeof vi.fn>).mock.calls[0]! as [string, RequestInit];
    expect(url).toBe('https://api.anthropic.test/v1/messages');
    expect(init.headers).toMatchObject({
      'x-api-key': 'sk-ant-test',
      'anthropic-version': '2023-06-01',
      'content-type': 'application/json',
    });
    expect(JSON.parse(init.body as string)).toEqual(json('chat.request.expected.json'));
    expect(completion.choices[0]!.message).toEqual({
      role: 'assistant',
      content: 'Let me check the weather in Lyon.',
      tool_calls: [
        {
          id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6',
          type: 'function',
          function: { name: 'get_weather', arguments: '{"city":"Lyon","unit":"c"}' },
        },
      ],
    });
    expect(completion.choices[0]!.finish_reason).toBe('tool_calls');
    // input_tokens (472) excludes the 1800 cache-read tokens; promptTokens counts all input.
    expect(usage).toEqual({ promptTokens: 2272, completionTokens: 89, cachedReadTokens: 1800, cacheWriteTokens: 0, reasoningTokens: 0 });
    expect(completion.usage).toMatchObject({
      prompt_tokens: 2272,
      completion_tokens: 89,
      total_tokens: 2361,
      prompt_tokens_details: { cached_tokens: 1800 },
    });
  });

  it('counts cache-write tokens into promptTokens and cacheWriteTokens', async () => {
    const ctx = ctxWith(async () => new Response(fixture('message.text-cache-write.json')));
    const { usage, completion } = await anthropicAdapter.chat(simple(), ctx);
    expect(usage).toEqual({ promptTokens: 2069, completionTokens: 14, cachedReadTokens: 0, cacheWriteTokens: 2048, reasoningTokens: 0 });
    expect(completion.choices[0]!.message.content).toBe('It is 18 °C and clear in Lyon.');
  });
});

describe('anthropic adapter, streamed', () => {
  it.each([1, 7, 64, 4096])('reassembles text and tool-call arguments byte-exact from %i-byte slices', async (size) => {
    const ctx = ctxWith(async () => sliced(fixture('stream.tool-use.sse'), size, { headers: { 'content-type': 'text/event-stream' } }));
    const events = await collect(await anthropicAdapter.chatStream(chatRequest(), ctx));
    const chunks = events.filter((e) => e.type === 'chunk');
    expect(chunks[0]!.type === 'chunk' && chunks[0]!.chunk.choices[0]!.delta.role).toBe('assistant');
    const a = assemble(events);
    expect(a.content).toBe('Let me check the weather in Lyon.');
    // The exact concatenation of the upstream's partial_json fragments.
    expect(a.tools).toEqual([{ id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', name: 'get_weather', arguments: '{"city": "Lyon", "unit": "c"}' }]);
    expect(a.finish).toBe('tool_calls');
    expect(events.filter((e) => e.type === 'usage')).toHaveLength(1);
    expect(events.at(-1)!.type).toBe('usage');
  });

  it.each([
    ['tool-use', 'stream.tool-use.sse', 'message.tool-use.json'],
    ['text with cache write (cumulative usage repeated in message_delta)', 'stream.text-cache-write.sse', 'message.text-cache-write.json'],
  ])('streamed and buffered usage are identical: %s', async (_name, sse, buffered) => {
    const streamed = await collect(
      await anthropicAdapter.chatStream(
        simple(),
        ctxWith(async () => sliced(fixture(sse), 13)),
      ),
    );
    const { usage, completion } = await anthropicAdapter.chat(
      simple(),
      ctxWith(async () => new Response(fixture(buffered))),
    );
    expect(streamed.at(-1)).toEqual({ type: 'usage', usage });
    const a = assemble(streamed);
    expect(a.content).toBe(completion.choices[0]!.message.content ?? '');
    expect(a.finish).toBe(completion.choices[0]!.finish_reason);
    expect(a.tools.map((t) => [t.id, t.name, JSON.parse(t.arguments)])).toEqual(
      (completion.choices[0]!.message.tool_calls ?? []).map((t) => [t.id, t.function.name, JSON.parse(t.function.arguments)]),
    );
  });

  it('sends "{}" for a tool call that streams no arguments', () => {
    const t = new AnthropicStreamTranslator('m');
    t.handle({ type: 'message_start', message: { ...json<AnthropicMessage>('message.tool-use.json'), content: [] } });
    t.handle({ type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: 'toolu_1', name: 'now', input: {} } });
    const out = t.handle({ type: 'content_block_stop', index: 0 });
    expect(out[0]!.choices[0]!.delta.tool_calls).toEqual([{ index: 0, function: { arguments: '{}' } }]);
  });

  it('an error event mid-stream throws a retryable UpstreamError without content', async () => {
    const events = await anthropicAdapter.chatStream(
      simple(),
      ctxWith(async () => sliced(fixture('stream.error-overloaded.sse'), 5)),
    );
    const err = await collect(events).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err).toMatchObject({ reason: 'http', status: 529, message: 'anthropic-test reported an error mid-stream (overloaded_error)' });
    expect((err as UpstreamError).retryable).toBe(true);
  });

  it.each(Object.entries(ANTHROPIC_STREAM_ERROR_STATUS))('stream error type %s carries status %i', (type, status) => {
    const t = new AnthropicStreamTranslator('m');
    expect(() => t.handle({ type: 'error', error: { type } })).toThrow(expect.objectContaining({ status }));
  });

  it('a stream that ends before message_stop is a protocol error, not a clean end', async () => {
    const events = await anthropicAdapter.chatStream(
      simple(),
      ctxWith(async () => sliced(fixture('stream.truncated.sse'), 50)),
    );
    const seen: StreamEvent[] = [];
    const err = await (async () => {
      for await (const e of events) seen.push(e);
    })().catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'protocol' });
    expect(seen.some((e) => e.type === 'usage')).toBe(false);
  });
});

describe('anthropic adapter, errors', () => {
  it('maps a non-2xx body to an OpenAI-shape error and a content-free message', async () => {
    const ctx = ctxWith(async () => new Response(fixture('error.rate-limit.json'), { status: 429 }));
    const err = (await anthropicAdapter.chat(chatRequest(), ctx).catch((e: unknown) => e)) as UpstreamError;
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err.message).toBe('anthropic-test returned HTTP 429 (rate_limit_error)');
    expect(err).toMatchObject({ reason: 'http', status: 429, retryable: true });
    expect(err.upstreamBody).toEqual({
      error: {
        message: 'Number of request tokens has exceeded your per-minute rate limit',
        type: 'rate_limit_error',
        param: null,
        code: 'rate_limit_error',
      },
    });
    expect(err.message).not.toContain('weather');
  });

  it('streamed requests fail before the first byte on HTTP errors (so the router can fall back)', async () => {
    const ctx = ctxWith(
      async () => new Response('{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}', { status: 529 }),
    );
    await expect(anthropicAdapter.chatStream(simple(), ctx)).rejects.toMatchObject({ reason: 'http', status: 529, retryable: true });
  });

  it('classifies a connection failure as connect and an aborted call as aborted', async () => {
    const refused = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    await expect(
      anthropicAdapter.chat(
        simple(),
        ctxWith(async () => Promise.reject(refused)),
      ),
    ).rejects.toMatchObject({
      reason: 'connect',
      message: 'could not connect to anthropic-test (ECONNREFUSED)',
    });
    const ac = new AbortController();
    ac.abort();
    const ctx = ctxWith(async (_url, init) => Promise.reject(init.signal?.reason ?? new Error('aborted')), ac.signal);
    await expect(anthropicAdapter.chat(simple(), ctx)).rejects.toMatchObject({ reason: 'aborted' });
  });

  it('a malformed 2xx body is a protocol error', async () => {
    await expect(
      anthropicAdapter.chat(
        simple(),
        ctxWith(async () => new Response('<html>')),
      ),
    ).rejects.toMatchObject({ reason: 'protocol' });
  });
});
