/**
 * The Anthropic-compatible inbound route over real sockets: the official Anthropic SDK →
 * POST /v1/messages on the local server → the router (same routing, fallback and metering as
 * /v1/chat/completions) → the offline mock provider, a mock Anthropic upstream, or a mock
 * OpenAI-compatible upstream that fails mid-stream. Results, stream events and errors must have
 * Anthropic's shapes; usage must match the usage record in DynamoDB Local.
 */
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { nanoToUsd } from '../../lambdas/domain/money';
import { rawDefaultConfig } from '../helpers/config';
import { startTestRouter, type TestRouter } from '../helpers/local-router';
import { type MockUpstream, startOpenAIUpstream } from '../helpers/openai-upstream';
import { anthropicWire, SCRIPT, scriptedUpstream, type Upstream } from '../helpers/provider-upstreams';
import { usageEventFor, usageEvents } from '../helpers/usage-records';

const account = 'acct-messages';
const ANT_USAGE = { input_tokens: 472, cache_creation_input_tokens: 300, cache_read_input_tokens: 1800, output_tokens: 89 };
// 472 × 0.8 + 1800 × 0.08 + 300 × 1 + 89 × 4 (USD per M) = 1 177 600 nano-USD
const ANT_COST_NANO = 1_177_600;
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
const TOOLS: Anthropic.Tool[] = [
  {
    name: 'get_weather',
    description: 'Current weather',
    input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
];

let router: TestRouter;
let ant: Upstream;
let flaky: MockUpstream;
let apiKey: string;
let client: Anthropic;

beforeAll(async () => {
  ant = await scriptedUpstream(anthropicWire, ANT_USAGE);
  flaky = await startOpenAIUpstream('flaky');
  const raw = rawDefaultConfig();
  raw.providers = [
    raw.providers.find((p: { id: string }) => p.id === 'mock'),
    { id: 'ant', kind: 'anthropic', baseUrl: `${ant.url}/v1`, credential: { env: 'ANT_KEY' }, timeoutMs: 10_000 },
    { id: 'flaky', kind: 'openai', baseUrl: flaky.url, credential: { env: 'FLAKY_KEY' }, timeoutMs: 10_000 },
  ];
  raw.models = [
    ...raw.models.filter((m: { id: string }) => m.id.startsWith('mock/')),
    {
      id: 'e2e/claude',
      capabilities: { tools: true, vision: true },
      contextWindow: 200_000,
      maxOutput: 8192,
      offers: [{ provider: 'ant', upstreamModel: 'claude-e2e', price: { input: 0.8, output: 4, cachedInput: 0.08, cacheWrite: 1 } }],
    },
    {
      id: 'acme/flaky',
      contextWindow: 8192,
      maxOutput: 1024,
      offers: [{ provider: 'flaky', upstreamModel: 'flaky-1', price: { input: 1, output: 2 } }],
    },
  ];
  router = await startTestRouter(raw, { ANT_KEY: 'sk-ant-test', FLAKY_KEY: 'sk-flaky' });
  apiKey = await router.createKey(account);
  client = anthropic({ apiKey });
});

afterAll(async () => {
  await router?.stop();
  await ant?.close();
  await flaky?.close();
});

/** The SDK appends /v1/messages to its base URL. */
function anthropic(auth: { apiKey?: string; authToken?: string }): Anthropic {
  return new Anthropic({ baseURL: router.baseUrl.replace(/\/v1$/, ''), maxRetries: 0, timeout: 30_000, apiKey: null, ...auth });
}

const ask = (over: Partial<Anthropic.MessageCreateParamsNonStreaming> = {}): Anthropic.MessageCreateParamsNonStreaming => ({
  model: 'e2e/claude',
  max_tokens: 256,
  system: 'You are terse.',
  // Long enough that the upstream's reported prompt tokens are within the prompt's upper bound (usage-bounds.ts).
  messages: [{ role: 'user', content: `What is the answer? ${'Some context. '.repeat(200)}` }],
  ...over,
});

describe('POST /v1/messages, buffered', () => {
  it('answers an Anthropic message with usage that matches the usage record', async () => {
    const { data, response } = await client.messages.create(ask()).withResponse();
    expect(data).toMatchObject({ type: 'message', role: 'assistant', model: 'e2e/claude', stop_reason: 'end_turn', stop_sequence: null });
    expect(data.id).toMatch(/^msg_/);
    expect(data.content).toEqual([{ type: 'text', text: SCRIPT.text.join('') }]);
    expect(data.usage).toMatchObject(ANT_USAGE);
    expect((data.usage as unknown as { cost: number }).cost).toBe(nanoToUsd(ANT_COST_NANO));
    const ev = await usageEventFor(router, account, response.headers.get('x-request-id')!);
    expect(ev).toMatchObject({
      provider: 'ant',
      promptTokens: 2572,
      completionTokens: 89,
      cachedReadTokens: 1800,
      cacheWriteTokens: 300,
      costNanoUsd: ANT_COST_NANO,
      stream: false,
    });
    // The system prompt reached the upstream as Anthropic's top-level system.
    expect(ant.recorded.at(-1)!.body.system).toEqual([{ type: 'text', text: 'You are terse.' }]);
  });

  it('calls tools: a tool_use block with the input, stop_reason tool_use', async () => {
    const msg = await client.messages.create(ask({ tools: TOOLS, tool_choice: { type: 'auto' } }));
    expect(msg.stop_reason).toBe('tool_use');
    expect(msg.content).toEqual([{ type: 'tool_use', id: SCRIPT.toolId, name: 'get_weather', input: JSON.parse(SCRIPT.toolArgs) }]);
  });

  it('sends tool results and images on: tool_use / tool_result / image blocks round-trip to the upstream', async () => {
    const msg = await client.messages.create(
      ask({
        tools: TOOLS,
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'Weather here?' },
              { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } },
            ],
          },
          { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Zürich' } }] },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: '{"temp_c":18}' }] },
        ],
      }),
    );
    expect(msg.stop_reason).toBe('end_turn');
    expect(ant.recorded.at(-1)!.body.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Weather here?' },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } },
        ],
      },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Zürich' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: '{"temp_c":18}' }] },
    ]);
  });

  it('serves the offline mock provider, with cache reads reported for a long prompt', async () => {
    const { data, response } = await client.messages
      .create(ask({ model: 'mock/echo-small', messages: [{ role: 'user', content: 'long prompt '.repeat(800) }] }))
      .withResponse();
    expect(data.content[0]).toMatchObject({ type: 'text' });
    const ev = await usageEventFor(router, account, response.headers.get('x-request-id')!);
    expect(ev.cachedReadTokens).toBeGreaterThan(0);
    expect(data.usage).toMatchObject({
      input_tokens: ev.promptTokens - ev.cachedReadTokens,
      cache_read_input_tokens: ev.cachedReadTokens,
      cache_creation_input_tokens: 0,
      output_tokens: ev.completionTokens,
    });
  });

  it('accepts the key as Authorization: Bearer too', async () => {
    const msg = await anthropic({ authToken: apiKey }).messages.create(ask({ model: 'mock/echo-small' }));
    expect(msg.type).toBe('message');
  });
});

describe('POST /v1/messages, streamed', () => {
  it('emits Anthropic events in order, and the final message equals the buffered one', async () => {
    const stream = await client.messages.create({ ...ask(), stream: true });
    const types: string[] = [];
    let text = '';
    for await (const ev of stream) {
      types.push(ev.type);
      if (ev.type === 'content_block_delta' && ev.delta.type === 'text_delta') text += ev.delta.text;
    }
    expect(text).toBe(SCRIPT.text.join(''));
    const deltas = SCRIPT.text.map(() => 'content_block_delta');
    expect(types).toEqual(['message_start', 'content_block_start', ...deltas, 'content_block_stop', 'message_delta', 'message_stop']);
  });

  it('MessageStream: same content, stop reason and usage as buffered; the record has the same cost', async () => {
    const stream = client.messages.stream(ask());
    const final = await stream.finalMessage();
    expect(final.content).toEqual([{ type: 'text', text: SCRIPT.text.join('') }]);
    expect(final.stop_reason).toBe('end_turn');
    expect(final.usage).toMatchObject(ANT_USAGE);
    const ev = await usageEventFor(router, account, final.id.replace(/^msg_/, ''));
    expect(ev).toMatchObject({ costNanoUsd: ANT_COST_NANO, stream: true, status: 'ok' });
  });

  it('streams tool input as input_json_delta, reassembled byte-exact', async () => {
    const stream = await client.messages.create({ ...ask({ tools: TOOLS }), stream: true });
    let json = '';
    let start: unknown;
    let stop: string | null | undefined;
    for await (const ev of stream) {
      if (ev.type === 'content_block_start') start = ev.content_block;
      if (ev.type === 'content_block_delta' && ev.delta.type === 'input_json_delta') json += ev.delta.partial_json;
      if (ev.type === 'message_delta') stop = ev.delta.stop_reason;
    }
    expect(start).toEqual({ type: 'tool_use', id: SCRIPT.toolId, name: 'get_weather', input: {} });
    expect(json).toBe(SCRIPT.toolArgs);
    expect(stop).toBe('tool_use');
    const final = await client.messages.stream(ask({ tools: TOOLS })).finalMessage();
    expect(final.content).toEqual([{ type: 'tool_use', id: SCRIPT.toolId, name: 'get_weather', input: JSON.parse(SCRIPT.toolArgs) }]);
  });

  it('a failure after the first byte ends the stream with an error event, not message_stop', async () => {
    flaky.mode = { kind: 'midstream-fail' };
    const stream = await client.messages.create({ ...ask({ model: 'acme/flaky' }), stream: true });
    const types: string[] = [];
    const err = await (async () => {
      for await (const ev of stream) types.push(ev.type);
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect((err as { error: unknown }).error).toMatchObject({
      type: 'error',
      error: { type: 'api_error', message: expect.stringMatching(/failed mid-stream/) },
    });
    expect(types).toContain('content_block_delta');
    expect(types).not.toContain('message_stop');
    await vi.waitFor(
      async () =>
        expect((await usageEvents(router, account)).some((e) => e.provider === 'flaky' && e.status === 'upstream_error')).toBe(true),
      {
        timeout: 10_000,
        interval: 50,
      },
    );
  });
});

describe('POST /v1/messages, errors in Anthropic shape', () => {
  const cases: Array<{ name: string; call: () => Promise<unknown>; status: number; type: string; klass: unknown }> = [
    {
      name: 'unknown key',
      call: () => anthropic({ apiKey: 'sk-ctr-nope' }).messages.create(ask()),
      status: 401,
      type: 'authentication_error',
      klass: Anthropic.AuthenticationError,
    },
    {
      name: 'missing max_tokens',
      call: () => client.messages.create({ ...ask(), max_tokens: undefined as never }),
      status: 400,
      type: 'invalid_request_error',
      klass: Anthropic.BadRequestError,
    },
    {
      name: 'unknown model',
      call: () => client.messages.create(ask({ model: 'nope/nothing' })),
      status: 404,
      type: 'not_found_error',
      klass: Anthropic.NotFoundError,
    },
    {
      name: 'an embedding model',
      call: () => client.messages.create(ask({ model: 'mock/embed-small' })),
      status: 400,
      type: 'invalid_request_error',
      klass: Anthropic.BadRequestError,
    },
    {
      name: 'extended thinking',
      call: () => client.messages.create(ask({ thinking: { type: 'enabled', budget_tokens: 1024 } })),
      status: 400,
      type: 'invalid_request_error',
      klass: Anthropic.BadRequestError,
    },
  ];

  it.each(cases)('$name → $status $type', async ({ call, status, type, klass }) => {
    const err = (await call().catch((e: unknown) => e)) as InstanceType<typeof Anthropic.APIError>;
    expect(err).toBeInstanceOf(klass);
    expect(err.status).toBe(status);
    expect(err.error).toMatchObject({ type: 'error', error: { type, message: expect.any(String) } });
    // Every answer carries a request id the caller can quote, refusals before routing included.
    expect(err.requestID).toMatch(/^\S{8,}$/);
    expect(err.headers?.get('request-id')).toBe(err.requestID);
  });

  it('a missing key is a 401 that says how to send one; messages never quote the request', async () => {
    const res = await fetch(`${router.baseUrl}/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(401);
    const body = (await res.json()) as { type: string; error: { type: string; message: string } };
    expect(body).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
    expect(body.error.message).toMatch(/x-api-key/);

    const canary = 'CANARY-MESSAGES-7c1e';
    const bad = await fetch(`${router.baseUrl}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
      body: JSON.stringify({
        model: 'e2e/claude',
        max_tokens: 10,
        messages: [{ role: 'user', content: [{ type: 'document', text: canary }] }],
      }),
    });
    expect(bad.status).toBe(400);
    expect(await bad.text()).not.toContain(canary);
  });
});
