/**
 * The Anthropic-compatible inbound route's translation tables, one test per row: Anthropic
 * request → OpenAI chat request, finish reasons, usage, error types, and the chat pipeline's
 * stream events → Anthropic SSE translation.
 */
import { describe, expect, it } from 'vitest';
import { toChatRequest } from '../../lambdas/core/messages-inbound/request';
import { toAnthropicMessage, toAnthropicUsage } from '../../lambdas/core/messages-inbound/response';
import { messagesRequestSchema } from '../../lambdas/core/messages-inbound/schema';
import { AnthropicStreamWriter, toAnthropicStream } from '../../lambdas/core/messages-inbound/stream';
import { ERROR_TYPE_OUT, errorTypeOut, STOP_REASON_OUT, stopReasonOut, TOOL_CHOICE_IN } from '../../lambdas/core/messages-inbound/tables';
import type { ChatEvent } from '../../lambdas/core/outcome';
import { chatRequestSchema, validate } from '../../lambdas/domain/chat-request';
import { RouterError } from '../../lambdas/domain/errors';
import type { ChatCompletion, ChatCompletionChunk, FinishReason } from '../../lambdas/domain/openai';
import { httpErrorOf } from '../../lambdas/handlers/http-errors';
import { asHttp } from '../helpers/http-error';

const CANARY = 'CANARY-INBOUND-4b7d';
const base = { model: 'mock/echo-small', max_tokens: 100 };
const user = (content: unknown) => ({ role: 'user', content });
const translate = (req: Record<string, unknown>) => toChatRequest(validate(messagesRequestSchema, { ...base, ...req }));
const rejection = (req: Record<string, unknown>) => {
  try {
    translate(req);
  } catch (e) {
    return e as RouterError;
  }
  throw new Error('expected a 400');
};
const WEATHER = { name: 'get_weather', description: 'Weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } };

describe('request: Anthropic → OpenAI chat request', () => {
  const rows: Array<{ name: string; in: Record<string, unknown>; out: Record<string, unknown> }> = [
    {
      name: 'system string → system message',
      in: { system: 'Be terse.', messages: [user('Hi')] },
      out: {
        messages: [
          { role: 'system', content: [{ type: 'text', text: 'Be terse.' }] },
          { role: 'user', content: 'Hi' },
        ],
      },
    },
    {
      name: 'system blocks (cache_control ignored) → system text parts',
      in: {
        system: [
          { type: 'text', text: 'A' },
          { type: 'text', text: 'B', cache_control: { type: 'ephemeral' } },
        ],
        messages: [user('Hi')],
      },
      out: {
        messages: [
          {
            role: 'system',
            content: [
              { type: 'text', text: 'A' },
              { type: 'text', text: 'B' },
            ],
          },
          { role: 'user', content: 'Hi' },
        ],
      },
    },
    {
      name: 'base64 image → data: URL image part',
      in: {
        messages: [
          user([
            { type: 'text', text: 'What?' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBO' } },
          ]),
        ],
      },
      out: {
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What?' },
              { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBO' } },
            ],
          },
        ],
      },
    },
    {
      name: 'url image → image_url part',
      in: { messages: [user([{ type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } }])] },
      out: { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }] }] },
    },
    {
      name: 'assistant text + tool_use → content + tool_calls (arguments are the input as JSON)',
      in: {
        messages: [
          user('Hi'),
          {
            role: 'assistant',
            content: [
              { type: 'text', text: 'Checking.' },
              { type: 'tool_use', id: 'tu_1', name: 'get_weather', input: { city: 'Zürich' } },
            ],
          },
        ],
      },
      out: {
        messages: [
          { role: 'user', content: 'Hi' },
          {
            role: 'assistant',
            content: 'Checking.',
            tool_calls: [{ id: 'tu_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Zürich"}' } }],
          },
        ],
      },
    },
    {
      name: 'assistant tool_use only → content null; thinking blocks dropped',
      in: {
        messages: [
          user('Hi'),
          {
            role: 'assistant',
            content: [
              { type: 'thinking', thinking: 'hmm', signature: 'sig' },
              { type: 'tool_use', id: 'tu_1', name: 'f', input: {} },
            ],
          },
        ],
      },
      out: {
        messages: [
          { role: 'user', content: 'Hi' },
          { role: 'assistant', content: null, tool_calls: [{ id: 'tu_1', type: 'function', function: { name: 'f', arguments: '{}' } }] },
        ],
      },
    },
    {
      name: 'tool_result (string) → tool message, before the rest of the user turn',
      in: {
        messages: [
          user([
            { type: 'text', text: 'And now?' },
            { type: 'tool_result', tool_use_id: 'tu_1', content: '18C' },
          ]),
        ],
      },
      out: {
        messages: [
          { role: 'tool', tool_call_id: 'tu_1', content: '18C' },
          { role: 'user', content: [{ type: 'text', text: 'And now?' }] },
        ],
      },
    },
    {
      name: 'tool_result (text blocks, is_error) → tool message with the joined text',
      in: {
        messages: [
          user([
            {
              type: 'tool_result',
              tool_use_id: 'tu_1',
              is_error: true,
              content: [
                { type: 'text', text: 'a' },
                { type: 'text', text: 'b' },
              ],
            },
          ]),
        ],
      },
      out: { messages: [{ role: 'tool', tool_call_id: 'tu_1', content: 'ab' }] },
    },
    {
      name: 'tool_result without content → empty tool message',
      in: { messages: [user([{ type: 'tool_result', tool_use_id: 'tu_1' }])] },
      out: { messages: [{ role: 'tool', tool_call_id: 'tu_1', content: '' }] },
    },
    {
      name: 'tools → function tools (input_schema → parameters)',
      in: { messages: [user('Hi')], tools: [WEATHER] },
      out: { tools: [{ type: 'function', function: { name: 'get_weather', description: 'Weather', parameters: WEATHER.input_schema } }] },
    },
    { name: 'stop_sequences → stop', in: { messages: [user('Hi')], stop_sequences: ['END', 'STOP'] }, out: { stop: ['END', 'STOP'] } },
    {
      name: 'temperature and top_p pass through; top_k is dropped',
      in: { messages: [user('Hi')], temperature: 0.3, top_p: 0.9, top_k: 5 },
      out: { temperature: 0.3, top_p: 0.9 },
    },
    { name: 'max_tokens → max_tokens', in: { messages: [user('Hi')], max_tokens: 7 }, out: { max_tokens: 7 } },
    { name: 'metadata.user_id → user', in: { messages: [user('Hi')], metadata: { user_id: 'u-1' } }, out: { user: 'u-1' } },
    {
      name: 'stream → stream with usage',
      in: { messages: [user('Hi')], stream: true },
      out: { stream: true, stream_options: { include_usage: true } },
    },
    {
      name: 'routing extensions pass through',
      in: { messages: [user('Hi')], models: ['mock/echo-large'], provider: { only: ['mock'] } },
      out: { models: ['mock/echo-large'], provider: { only: ['mock'] } },
    },
  ];
  it.each(rows)('$name', (row) => {
    const out = translate(row.in);
    expect(out).toMatchObject(row.out);
    if (!('top_k' in row.in)) expect(out).not.toHaveProperty('top_k');
    // Every translation is a valid router chat request.
    expect(chatRequestSchema().safeParse(out).success).toBe(true);
  });

  it('drops top_k and does not forward fields the router does not know', () => {
    const out = translate({ messages: [user('Hi')], top_k: 5, service_tier: 'auto' });
    expect(Object.keys(out).sort()).toEqual(['max_tokens', 'messages', 'model']);
  });

  const choices: Array<{ in: Record<string, unknown>; out: Record<string, unknown> }> = [
    ...(['auto', 'any', 'none'] as const).map((t) => ({ in: { type: t }, out: { tool_choice: TOOL_CHOICE_IN[t] } })),
    { in: { type: 'tool', name: 'get_weather' }, out: { tool_choice: { type: 'function', function: { name: 'get_weather' } } } },
    { in: { type: 'any', disable_parallel_tool_use: true }, out: { tool_choice: 'required', parallel_tool_calls: false } },
  ];
  it.each(choices)('tool_choice $in.type → $out.tool_choice', (row) => {
    expect(translate({ messages: [user('Hi')], tools: [WEATHER], tool_choice: row.in })).toMatchObject(row.out);
  });
  it('TOOL_CHOICE_IN maps any to required', () => expect(TOOL_CHOICE_IN).toEqual({ auto: 'auto', any: 'required', none: 'none' }));

  const rejections: Array<{ name: string; in: Record<string, unknown>; param: string }> = [
    {
      name: 'an image inside a tool_result',
      in: {
        messages: [
          user([
            {
              type: 'tool_result',
              tool_use_id: 't',
              content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: CANARY } }],
            },
          ]),
        ],
      },
      param: 'messages[0].content[0].content[0]',
    },
    {
      name: 'a tool_use block in a user turn',
      in: { messages: [user([{ type: 'tool_use', id: 't', name: 'f', input: { q: CANARY } }])] },
      param: 'messages[0].content[0]',
    },
    {
      name: 'an image in an assistant turn',
      in: { messages: [user('Hi'), { role: 'assistant', content: [{ type: 'image', source: { type: 'url', url: CANARY } }] }] },
      param: 'messages[1].content[0]',
    },
    {
      name: 'an unsupported block type (document)',
      in: { messages: [user([{ type: 'document', source: { type: 'text', data: CANARY } }])] },
      param: 'messages[0].content',
    },
    {
      name: 'a server tool',
      in: { messages: [user(CANARY)], tools: [{ type: 'web_search_20250305', name: 'web_search' }] },
      param: 'tools[0].type',
    },
    {
      name: 'extended thinking',
      in: { messages: [user(CANARY)], thinking: { type: 'enabled', budget_tokens: 1024 } },
      param: 'thinking.type',
    },
    {
      name: 'more than 4 stop sequences',
      in: { messages: [user(CANARY)], stop_sequences: ['a', 'b', 'c', 'd', CANARY] },
      param: 'stop_sequences',
    },
    { name: 'temperature above 1 (Anthropic range)', in: { messages: [user(CANARY)], temperature: 1.5 }, param: 'temperature' },
    {
      name: 'a tool_choice naming an unknown tool',
      in: { messages: [user(CANARY)], tools: [WEATHER], tool_choice: { type: 'tool', name: 'nope' } },
      param: 'tool_choice.name',
    },
    { name: 'an unknown top-level field', in: { messages: [user(CANARY)], frequency_penalty: 1 }, param: 'frequency_penalty' },
  ];
  it.each(rejections)('rejects $name with a 400 naming $param, never quoting the request', (row) => {
    const err = rejection(row.in);
    expect(err).toBeInstanceOf(RouterError);
    expect(asHttp(err).status).toBe(400);
    expect(err.param ?? 'body').toBe(row.param);
    expect(err.message).not.toContain(CANARY);
  });

  it('requires max_tokens, as Anthropic does', () => {
    expect(() => validate(messagesRequestSchema, { model: 'm', messages: [user('Hi')] })).toThrow(/max_tokens/);
  });
});

describe('response: finish reasons, usage, message', () => {
  it.each(Object.entries(STOP_REASON_OUT))('finish_reason %s → stop_reason %s', (finish, stop) => {
    expect(stopReasonOut(finish as FinishReason)).toBe(stop);
  });
  it('a missing finish reason is end_turn', () => expect(stopReasonOut(null)).toBe('end_turn'));

  const usages = [
    {
      name: 'plain',
      in: { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 },
      out: { input_tokens: 100, output_tokens: 20, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 },
    },
    {
      name: 'cache read and write are taken out of input_tokens',
      in: {
        prompt_tokens: 2572,
        completion_tokens: 89,
        total_tokens: 2661,
        prompt_tokens_details: { cached_tokens: 1800, cache_write_tokens: 300 },
        cost: 0.0011776,
      },
      out: { input_tokens: 472, output_tokens: 89, cache_read_input_tokens: 1800, cache_creation_input_tokens: 300, cost: 0.0011776 },
    },
    {
      name: 'missing usage is zero',
      in: undefined,
      out: { input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 },
    },
  ];
  it.each(usages)('usage: $name', (row) => expect(toAnthropicUsage(row.in)).toEqual(row.out));

  const completion = (message: ChatCompletion['choices'][number]['message'], finish: FinishReason): ChatCompletion => ({
    id: 'chatcmpl-r1',
    object: 'chat.completion',
    created: 1,
    model: 'mock/echo-small',
    provider: 'mock',
    choices: [{ index: 0, message, finish_reason: finish, logprobs: null }],
    usage: { prompt_tokens: 10, completion_tokens: 2, total_tokens: 12, cost: 0.000001 },
  });

  it('a text completion → one text block', () => {
    expect(toAnthropicMessage(completion({ role: 'assistant', content: 'Hi.' }, 'stop'))).toEqual({
      id: 'msg_r1',
      type: 'message',
      role: 'assistant',
      model: 'mock/echo-small',
      content: [{ type: 'text', text: 'Hi.' }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: 10, output_tokens: 2, cache_read_input_tokens: 0, cache_creation_input_tokens: 0, cost: 0.000001 },
      provider: 'mock',
    });
  });

  it('tool calls → tool_use blocks with parsed input; arguments that are not an object become {}', () => {
    const msg = toAnthropicMessage(
      completion(
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'c1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } },
            { id: 'c2', type: 'function', function: { name: 'g', arguments: 'not json' } },
          ],
        },
        'tool_calls',
      ),
    );
    expect(msg.content).toEqual([
      { type: 'tool_use', id: 'c1', name: 'f', input: { a: 1 } },
      { type: 'tool_use', id: 'c2', name: 'g', input: {} },
    ]);
    expect(msg.stop_reason).toBe('tool_use');
  });
});

describe('errors: Anthropic shape, same status', () => {
  it.each(ERROR_TYPE_OUT)('status %i → %s', (status, type) => expect(errorTypeOut(status)).toBe(type));
  it.each([
    [422, 'invalid_request_error'],
    [500, 'api_error'],
    [502, 'api_error'],
    [503, 'api_error'],
  ])('status %i (no row) → %s', (status, type) => expect(errorTypeOut(status)).toBe(type));

  it('renders an RouterError with its status and headers, and the request id as request-id', () => {
    const r = httpErrorOf(
      new RouterError('rate_limited', 'Rate limit reached.', { code: 'rate_limited', requestId: 'r1', retryAfterSeconds: 3 }),
      'anthropic',
    );
    expect(r.status).toBe(429);
    expect(r.headers).toMatchObject({ 'content-type': 'application/json', 'retry-after': '3', 'request-id': 'r1' });
    expect(JSON.parse(r.body as string)).toEqual({ type: 'error', error: { type: 'rate_limit_error', message: 'Rate limit reached.' } });
  });

  it('keeps an upstream 4xx message (its own error object) and hides unexpected errors behind a generic 500', () => {
    const override = new RouterError('upstream_rejected', 'ours', {
      upstreamStatus: 400,
      upstreamError: { message: 'theirs', type: 'invalid_request_error', param: null, code: null },
    });
    expect(JSON.parse(httpErrorOf(override, 'anthropic').body as string).error.message).toBe('theirs');
    const r = httpErrorOf(new Error(`boom ${CANARY}`), 'anthropic');
    expect(r.status).toBe(500);
    expect(r.body).not.toContain(CANARY);
    expect(JSON.parse(r.body as string).error.type).toBe('api_error');
  });
});

// --- Streams ---------------------------------------------------------------------------------
const chunk = (delta: Record<string, unknown>, finish: FinishReason | null = null): ChatEvent => ({
  type: 'chunk',
  chunk: {
    id: 'chatcmpl-r9',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'm/x',
    provider: 'p',
    choices: [{ index: 0, delta, finish_reason: finish }],
  } as ChatCompletionChunk,
});
const usageChunk: ChatEvent = {
  type: 'chunk',
  chunk: {
    id: 'chatcmpl-r9',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'm/x',
    choices: [],
    usage: { prompt_tokens: 50, completion_tokens: 7, total_tokens: 57, prompt_tokens_details: { cached_tokens: 32 }, cost: 0.00001 },
  } as ChatCompletionChunk,
};
const DONE: ChatEvent = { type: 'done' };
const parse = (frames: string[]) =>
  frames.map((f) => {
    const [ev, data] = f.split('\n');
    const json = JSON.parse(data!.slice('data: '.length));
    expect(ev).toBe(`event: ${json.type}`);
    return json;
  });
const run = (payloads: ChatEvent[]) => {
  const w = new AnthropicStreamWriter();
  return parse(payloads.flatMap((p) => w.handle(p)));
};

describe('stream: chat events → Anthropic events', () => {
  it('text: message_start, one text block, message_delta with stop reason and usage, message_stop', () => {
    const events = run([
      chunk({ role: 'assistant', content: '' }),
      chunk({ content: 'Hel' }),
      chunk({ content: 'lo' }),
      chunk({}, 'stop'),
      usageChunk,
      DONE,
    ]);
    expect(events.map((e) => e.type)).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(events[0].message).toMatchObject({
      id: 'msg_r9',
      type: 'message',
      role: 'assistant',
      model: 'm/x',
      content: [],
      stop_reason: null,
    });
    expect(events[1]).toEqual({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
    expect(events[2]).toEqual({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hel' } });
    expect(events[5]).toEqual({
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { input_tokens: 18, output_tokens: 7, cache_read_input_tokens: 32, cache_creation_input_tokens: 0, cost: 0.00001 },
    });
  });

  it('text then two tool calls with split arguments: one block each, input_json_delta byte-exact', () => {
    const events = run([
      chunk({ role: 'assistant', content: '' }),
      chunk({ content: 'Let me look.' }),
      chunk({ tool_calls: [{ index: 0, id: 'c1', type: 'function', function: { name: 'f', arguments: '' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '{"q":"ü' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: 'ber"}' } }] }),
      chunk({ tool_calls: [{ index: 1, id: 'c2', type: 'function', function: { name: 'g', arguments: '{}' } }] }),
      chunk({}, 'tool_calls'),
      DONE,
    ]);
    expect(events.filter((e) => e.type === 'content_block_start').map((e) => [e.index, e.content_block])).toEqual([
      [0, { type: 'text', text: '' }],
      [1, { type: 'tool_use', id: 'c1', name: 'f', input: {} }],
      [2, { type: 'tool_use', id: 'c2', name: 'g', input: {} }],
    ]);
    const json = (i: number) =>
      events
        .filter((e) => e.type === 'content_block_delta' && e.index === i)
        .map((e) => e.delta.partial_json)
        .join('');
    expect(json(1)).toBe('{"q":"über"}');
    expect(json(2)).toBe('{}');
    expect(events.filter((e) => e.type === 'content_block_stop').map((e) => e.index)).toEqual([0, 1, 2]);
    expect(events.find((e) => e.type === 'message_delta').delta.stop_reason).toBe('tool_use');
  });

  it('a mid-stream error → an error event and no message_stop; nothing after it', () => {
    const w = new AnthropicStreamWriter();
    const frames = [chunk({ content: 'Hi' }), { type: 'error', message: 'The provider failed mid-stream: x.' } as ChatEvent, DONE].flatMap(
      (p) => w.handle(p),
    );
    const events = parse(frames);
    expect(events.map((e) => e.type)).toEqual(['message_start', 'content_block_start', 'content_block_delta', 'error']);
    expect(events.at(-1)).toEqual({ type: 'error', error: { type: 'api_error', message: 'The provider failed mid-stream: x.' } });
  });

  it('reads the event source to its end', async () => {
    let consumed = false;
    async function* events() {
      yield* [chunk({ content: 'a' }), chunk({}, 'stop'), usageChunk, DONE];
      consumed = true;
    }
    const out: string[] = [];
    for await (const f of toAnthropicStream(events())) out.push(f);
    expect(consumed).toBe(true);
    expect(parse(out).map((e) => e.type)).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
  });
});
