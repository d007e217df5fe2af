/**
 * Bedrock Converse adapter: request mapping, buffered and streamed output mapping, usage
 * normalization, error classification and client/region resolution. The SDK client is mocked
 * with aws-sdk-client-mock; the wire-level test (real SDK, event-stream encoding) is in
 * test/integration/providers-wire.test.ts.
 */
import { readFileSync } from 'node:fs';
import {
  BedrockRuntimeClient,
  ConverseCommand,
  type ConverseCommandOutput,
  ConverseStreamCommand,
  type ConverseStreamOutput,
  ThrottlingException,
  ValidationException,
} from '@aws-sdk/client-bedrock-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { ProviderConfig } from '../../lambdas/core/config';
import { type ChatRequest, chatRequestSchema } from '../../lambdas/domain/chat-request';
import { RouterError, type UpstreamError } from '../../lambdas/domain/errors';
import type { ProviderCallContext } from '../../lambdas/domain/ports';
import { createBedrockAdapter } from '../../lambdas/providers/bedrock';
import { bedrockRegion, defaultBedrockClient } from '../../lambdas/providers/bedrock/client';
import { BEDROCK_TOOL_CHOICE, toConverseInput } from '../../lambdas/providers/bedrock/request';
import { BEDROCK_ERROR_STATUS, BedrockStreamTranslator, bedrockError, fromConverseOutput } from '../../lambdas/providers/bedrock/response';
import { BEDROCK_STOP_REASONS, IMAGE_MEDIA_TYPES } from '../../lambdas/providers/mapping-tables';
import { assemble, collect } from '../helpers/stream-events';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/bedrock/${name}`, import.meta.url), 'utf8');
const json = <T>(name: string): T => JSON.parse(fixture(name)) as T;
const chatRequest = (): ChatRequest => chatRequestSchema().parse(json('chat.openai-request.json'));
const simple = (over: Record<string, unknown> = {}): ChatRequest =>
  chatRequestSchema().parse({ model: 'amazon.nova-lite-v1:0', messages: [{ role: 'user', content: 'Hi' }], ...over });

/** The fixture's event-stream messages as the SDK hands them over: `{ [eventType]: payload }`. */
const streamEvents = (name: string): ConverseStreamOutput[] =>
  json<Array<{ eventType: string; payload: Record<string, unknown> }>>(name).map(
    ({ eventType, payload }) => ({ [eventType]: payload }) as unknown as ConverseStreamOutput,
  );
async function* iterate<T>(items: T[], thenThrow?: Error): AsyncGenerator<T> {
  for (const i of items) yield i;
  if (thenThrow) throw thenThrow;
}

/** JSON as the SDK would serialize it: blobs as base64. */
const asWire = (v: unknown) =>
  JSON.parse(
    JSON.stringify(v, function (this: Record<string, unknown>, k: string, x: unknown) {
      const raw = this[k]; // the value before Buffer#toJSON ran
      return raw instanceof Uint8Array ? Buffer.from(raw).toString('base64') : x;
    }),
  );

const client = new BedrockRuntimeClient({ region: 'us-east-1', credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' } });
const sdk = mockClient(client);
const adapter = createBedrockAdapter(() => client);

function ctx(signal = new AbortController().signal): ProviderCallContext {
  const provider = {
    id: 'bedrock-test',
    kind: 'bedrock',
    region: 'us-west-2',
    timeoutMs: 10_000,
    dataCollection: 'deny',
  } as unknown as ProviderConfig;
  return { provider, apiKey: undefined, signal, fetch };
}

beforeEach(() => sdk.reset());

describe('bedrock request mapping', () => {
  it('translates system, multi-turn, image bytes, tools, tool results and sampling exactly as the fixture', () => {
    const input = toConverseInput(chatRequest());
    expect(input.modelId).toBe('us.anthropic.claude-3-5-haiku-20241022-v1:0');
    const { modelId: _m, ...body } = asWire(input);
    expect(body).toEqual(json('converse.request.expected.json'));
  });

  it.each(Object.entries(IMAGE_MEDIA_TYPES))('data: URL of type %s becomes image format %s', (mediaType, format) => {
    const input = toConverseInput(
      simple({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: `data:${mediaType};base64,AAEC` } }] }] }),
    );
    expect(input.messages![0]!.content![0]).toEqual({ image: { format, source: { bytes: Buffer.from([0, 1, 2]) } } });
  });

  it('rejects http(s) image URLs with a 400 explaining that Bedrock needs inline bytes', () => {
    const req = simple({
      messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }] }],
    });
    expect(() => toConverseInput(req)).toThrow(RouterError);
    expect(() => toConverseInput(req)).toThrow(/data: URL/);
  });

  it.each(Object.entries(BEDROCK_TOOL_CHOICE))('tool_choice "%s" becomes toolChoice %j', (choice, expected) => {
    const tools = [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }];
    const input = toConverseInput(simple({ tools, tool_choice: choice }));
    if (expected)
      expect(input.toolConfig).toEqual({
        tools: [{ toolSpec: { name: 'f', inputSchema: { json: { type: 'object' } } } }],
        toolChoice: expected,
      });
    else expect(input.toolConfig).toBeUndefined(); // "none" without tool history: no tools offered
  });

  it('keeps the tool list without a toolChoice for "none" when the history holds tool blocks', () => {
    const input = toConverseInput(
      simple({
        tools: [{ type: 'function', function: { name: 'f' } }],
        tool_choice: 'none',
        messages: [
          { role: 'user', content: 'q' },
          { role: 'assistant', tool_calls: [{ id: 't', type: 'function', function: { name: 'f', arguments: '{}' } }] },
          { role: 'tool', tool_call_id: 't', content: 'r' },
        ],
      }),
    );
    expect(input.toolConfig?.tools).toHaveLength(1);
    expect(input.toolConfig?.toolChoice).toBeUndefined();
  });

  it('maps a named tool_choice, clamps temperature and rejects response_format', () => {
    const tools = [{ type: 'function', function: { name: 'f' } }];
    expect(toConverseInput(simple({ tools, tool_choice: { type: 'function', function: { name: 'f' } } })).toolConfig?.toolChoice).toEqual({
      tool: { name: 'f' },
    });
    expect(toConverseInput(simple({ temperature: 2 })).inferenceConfig).toEqual({ temperature: 1 });
    expect(() => toConverseInput(simple({ response_format: { type: 'json_object' } }))).toThrow(RouterError);
  });
});

describe('bedrock finish reasons', () => {
  it.each(Object.entries(BEDROCK_STOP_REASONS))('stopReason %s → finish_reason %s (buffered and streamed)', (reason, expected) => {
    const out = { ...json<ConverseCommandOutput>('converse.text-cache-write.json'), stopReason: reason } as ConverseCommandOutput;
    expect(fromConverseOutput(out, 'm', 'id').completion.choices[0]!.finish_reason).toBe(expected);
    const t = new BedrockStreamTranslator('id', 'm');
    expect(t.handle({ messageStop: { stopReason: reason } } as ConverseStreamOutput)[0]!.choices[0]!.finish_reason).toBe(expected);
  });
});

describe('bedrock usage', () => {
  it('inputTokens excludes cache reads and writes; promptTokens is their sum', async () => {
    sdk.on(ConverseCommand).resolves({ ...json<ConverseCommandOutput>('converse.tool-use.json'), $metadata: { requestId: 'req-1' } });
    const { completion, usage } = await adapter.chat(chatRequest(), ctx());
    expect(usage).toEqual({ promptTokens: 2272, completionTokens: 89, cachedReadTokens: 1800, cacheWriteTokens: 0, reasoningTokens: 0 });
    expect(completion.id).toBe('chatcmpl-req-1');
    expect(completion.choices[0]!.message).toEqual({
      role: 'assistant',
      content: 'Let me check the weather in Lyon.',
      tool_calls: [
        {
          id: 'tooluse_kZJMlvQmRJ6eAyJE5GIl7Q',
          type: 'function',
          function: { name: 'get_weather', arguments: '{"city":"Lyon","unit":"c"}' },
        },
      ],
    });
    expect(sdk.commandCalls(ConverseCommand)[0]!.args[0].input.modelId).toBe('us.anthropic.claude-3-5-haiku-20241022-v1:0');
  });

  it.each([
    ['tool-use', 'converse-stream.tool-use.json', 'converse.tool-use.json'],
    ['text with cache write', 'converse-stream.text-cache-write.json', 'converse.text-cache-write.json'],
  ])('streamed and buffered usage are identical: %s', async (_n, stream, buffered) => {
    sdk.on(ConverseCommand).resolves({ ...json<ConverseCommandOutput>(buffered), $metadata: {} });
    sdk.on(ConverseStreamCommand).resolves({ stream: iterate(streamEvents(stream)), $metadata: {} });
    const b = await adapter.chat(simple(), ctx());
    const events = await collect(await adapter.chatStream(simple(), ctx()));
    expect(events.at(-1)).toEqual({ type: 'usage', usage: b.usage });
    expect(events.filter((e) => e.type === 'usage')).toHaveLength(1);
    const a = assemble(events);
    expect(a.content).toBe(b.completion.choices[0]!.message.content ?? '');
    expect(a.finish).toBe(b.completion.choices[0]!.finish_reason);
    expect(a.tools.map((t) => [t.id, t.name, JSON.parse(t.arguments)])).toEqual(
      (b.completion.choices[0]!.message.tool_calls ?? []).map((t) => [t.id, t.function.name, JSON.parse(t.function.arguments)]),
    );
  });

  it('reassembles tool arguments byte-exact and starts with the assistant role', async () => {
    sdk.on(ConverseStreamCommand).resolves({ stream: iterate(streamEvents('converse-stream.tool-use.json')), $metadata: {} });
    const events = await collect(await adapter.chatStream(chatRequest(), ctx()));
    const first = events[0]!;
    expect(first.type === 'chunk' && first.chunk.choices[0]!.delta).toEqual({ role: 'assistant', content: '' });
    expect(assemble(events).tools).toEqual([
      { id: 'tooluse_kZJMlvQmRJ6eAyJE5GIl7Q', name: 'get_weather', arguments: '{"city": "Lyon", "unit": "c"}' },
    ]);
  });
});

describe('bedrock stream failures', () => {
  it('a stream without metadata is a protocol error, not a clean end', async () => {
    const events = streamEvents('converse-stream.text-cache-write.json').slice(0, -1);
    sdk.on(ConverseStreamCommand).resolves({ stream: iterate(events), $metadata: {} });
    await expect(collect(await adapter.chatStream(simple(), ctx()))).rejects.toMatchObject({
      reason: 'protocol',
      message: 'bedrock-test stream ended without usage metadata',
    });
  });

  it('a stream without messageStop is a protocol error', async () => {
    sdk
      .on(ConverseStreamCommand)
      .resolves({ stream: iterate(streamEvents('converse-stream.text-cache-write.json').slice(0, 3)), $metadata: {} });
    await expect(collect(await adapter.chatStream(simple(), ctx()))).rejects.toMatchObject({ reason: 'protocol' });
  });

  it('an exception inside the event stream becomes a retryable http error', async () => {
    const boom = new ThrottlingException({ message: 'Too many tokens', $metadata: {} });
    sdk
      .on(ConverseStreamCommand)
      .resolves({ stream: iterate(streamEvents('converse-stream.text-cache-write.json').slice(0, 2), boom), $metadata: {} });
    const err = await collect(await adapter.chatStream(simple(), ctx())).catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'http', status: 429, message: 'bedrock-test returned HTTP 429 (ThrottlingException)' });
    expect((err as UpstreamError).retryable).toBe(true);
  });

  it('an HTTP error before the stream rejects chatStream (so the router can fall back)', async () => {
    sdk
      .on(ConverseStreamCommand)
      .rejects(new ValidationException({ message: 'The model returned the following errors: bad', $metadata: { httpStatusCode: 400 } }));
    const err = (await adapter.chatStream(simple(), ctx()).catch((e: unknown) => e)) as UpstreamError;
    expect(err).toMatchObject({ reason: 'http', status: 400, message: 'bedrock-test returned HTTP 400 (ValidationException)' });
    expect(err.upstreamBody).toEqual({
      error: {
        message: 'The model returned the following errors: bad',
        type: 'invalid_request_error',
        param: null,
        code: 'ValidationException',
      },
    });
    expect(err.retryable).toBe(false);
  });
});

describe('bedrock error classification', () => {
  it.each(Object.entries(BEDROCK_ERROR_STATUS))('%s → HTTP %i', (name, status) => {
    const err = Object.assign(new Error('x'), { name, $metadata: {} });
    expect(bedrockError(err, ctx())).toMatchObject({ reason: 'http', status });
    // Exceptions inside event streams arrive with a lower-camel name.
    expect(bedrockError(Object.assign(new Error('x'), { name: name[0]!.toLowerCase() + name.slice(1) }), ctx())).toMatchObject({ status });
  });

  it('network failures are connect errors; aborts are aborted', () => {
    expect(bedrockError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), ctx())).toMatchObject({
      reason: 'connect',
      message: 'could not connect to bedrock-test (ECONNREFUSED)',
    });
    const ac = new AbortController();
    ac.abort();
    expect(bedrockError(Object.assign(new Error('aborted'), { name: 'AbortError' }), ctx(ac.signal))).toMatchObject({ reason: 'aborted' });
  });
});

describe('bedrock client and region', () => {
  const base = { id: 'b', kind: 'bedrock', timeoutMs: 1, dataCollection: 'deny' } as unknown as ProviderConfig;
  it('resolves the region from the region option, then a bedrock-runtime baseUrl, then AWS_REGION', () => {
    expect(bedrockRegion({ ...base, region: 'eu-central-1' } as ProviderConfig, {})).toBe('eu-central-1');
    expect(bedrockRegion({ ...base, baseUrl: 'https://bedrock-runtime.ap-northeast-1.amazonaws.com' }, {})).toBe('ap-northeast-1');
    expect(bedrockRegion(base, { AWS_REGION: 'eu-west-3' })).toBe('eu-west-3');
  });

  it('creates one client per region and endpoint and reuses it', async () => {
    const a = await defaultBedrockClient('us-east-1', undefined);
    expect(await defaultBedrockClient('us-east-1', undefined)).toBe(a);
    expect(await defaultBedrockClient('eu-west-1', undefined)).not.toBe(a);
    expect(await defaultBedrockClient('us-east-1', 'http://127.0.0.1:1')).not.toBe(a);
    expect(await a.config.region()).toBe('us-east-1');
    expect(await a.config.maxAttempts()).toBe(1);
  });
});
