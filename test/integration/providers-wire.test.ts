/**
 * The native-API adapters over real sockets: mock upstreams on 127.0.0.1 speak the Anthropic
 * Messages, Gemini generateContent and Bedrock Converse wire formats (Bedrock's ConverseStream in
 * the AWS binary event-stream encoding, parsed by the real SDK). The same chat — text, tools and
 * an image — must give the same OpenAI-format result and usage through each adapter, streamed or not.
 */
import { readFileSync } from 'node:fs';
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProviderConfig } from '../../lambdas/core/config';
import { type ChatRequest, chatRequestSchema } from '../../lambdas/domain/chat-request';
import type { ProviderAdapter, ProviderCallContext, StreamEvent } from '../../lambdas/domain/ports';
import { anthropicAdapter } from '../../lambdas/providers/anthropic';
import { createBedrockAdapter } from '../../lambdas/providers/bedrock';
import { geminiAdapter } from '../../lambdas/providers/gemini';
import { eventMessage, exceptionMessage, mockUpstream, type Req, type Res, writeSliced } from '../helpers/provider-upstreams';
import { assemble, collect } from '../helpers/stream-events';

const fixture = (provider: string, name: string) => readFileSync(new URL(`../fixtures/${provider}/${name}`, import.meta.url), 'utf8');
const json = <T>(provider: string, name: string): T => JSON.parse(fixture(provider, name)) as T;

// --- Anthropic -------------------------------------------------------------------------------
function anthropicHandler(req: Req, body: Record<string, any>, res: Res): void {
  if (req.headers['x-api-key'] !== 'sk-ant-test' || req.headers['anthropic-version'] !== '2023-06-01' || req.url !== '/v1/messages') {
    res
      .writeHead(401, { 'content-type': 'application/json' })
      .end('{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}');
    return;
  }
  if (body.model === 'overloaded') {
    res
      .writeHead(529, { 'content-type': 'application/json' })
      .end('{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}');
    return;
  }
  if (!body.stream) {
    res.writeHead(200, { 'content-type': 'application/json' }).end(fixture('anthropic', 'message.tool-use.json'));
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const transcript = fixture('anthropic', 'stream.tool-use.sse');
  if (body.model === 'hang') {
    // Send the first two events, then keep the connection open until the client goes away.
    res.write(`${transcript.split('\n\n').slice(0, 2).join('\n\n')}\n\n`);
    return;
  }
  writeSliced(res, transcript, 17);
  res.end();
}

// --- Gemini ----------------------------------------------------------------------------------
function geminiHandler(req: Req, _body: Record<string, any>, res: Res): void {
  if (req.headers['x-goog-api-key'] !== 'AIza-test') {
    res
      .writeHead(403, { 'content-type': 'application/json' })
      .end('{"error":{"code":403,"message":"API key not valid.","status":"PERMISSION_DENIED"}}');
    return;
  }
  if (req.url === '/v1beta/models/gemini-2.5-flash:generateContent') {
    res.writeHead(200, { 'content-type': 'application/json; charset=UTF-8' }).end(fixture('gemini', 'generate.tool-use.json'));
  } else if (req.url === '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse') {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    writeSliced(res, fixture('gemini', 'stream.tool-use.sse'), 23);
    res.end();
  } else {
    res.writeHead(429, { 'content-type': 'application/json' }).end(fixture('gemini', 'error.resource-exhausted.json'));
  }
}

// --- Bedrock ---------------------------------------------------------------------------------
function bedrockHandler(req: Req, _body: Record<string, any>, res: Res): void {
  const m = /^\/model\/([^/]+)\/(converse|converse-stream)$/.exec(req.url ?? '');
  const modelId = m ? decodeURIComponent(m[1]!) : '';
  if (!String(req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256 Credential=AKIDTEST/')) {
    res.writeHead(403, { 'content-type': 'application/json', 'x-amzn-errortype': 'AccessDeniedException' }).end('{"message":"not signed"}');
    return;
  }
  if (modelId === 'throttled') {
    const e = json<{ status: number; errorType: string; body: unknown }>('bedrock', 'error.throttling.json');
    res
      .writeHead(e.status, {
        'content-type': 'application/json',
        'x-amzn-errortype': `${e.errorType}:http://internal.amazon.com/coral/com.amazon.bedrock/`,
      })
      .end(JSON.stringify(e.body));
    return;
  }
  if (m?.[2] === 'converse') {
    res
      .writeHead(200, { 'content-type': 'application/json', 'x-amzn-requestid': 'req-buffered' })
      .end(fixture('bedrock', 'converse.tool-use.json'));
    return;
  }
  res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': 'req-stream' });
  const events = json<Array<{ eventType: string; payload: unknown }>>('bedrock', 'converse-stream.tool-use.json');
  const messages = events.map((e) => eventMessage(e.eventType, e.payload));
  if (modelId === 'throttled-mid-stream') {
    writeSliced(res, Buffer.concat([...messages.slice(0, 3), exceptionMessage('throttlingException', 'Too many tokens, please wait')]), 11);
  } else {
    writeSliced(res, Buffer.concat(messages), 11);
  }
  res.end();
}

// --- Harness ---------------------------------------------------------------------------------
type Mock = Awaited<ReturnType<typeof mockUpstream>>;
const mocks: Record<'anthropic' | 'gemini' | 'bedrock', Mock> = {} as never;

beforeAll(async () => {
  mocks.anthropic = await mockUpstream(anthropicHandler);
  mocks.gemini = await mockUpstream(geminiHandler);
  mocks.bedrock = await mockUpstream(bedrockHandler, true);
});
afterAll(async () => {
  await Promise.all(Object.values(mocks).map((m) => m.close()));
});

const bedrock = createBedrockAdapter(
  (region, endpoint) =>
    new BedrockRuntimeClient({
      region,
      endpoint,
      maxAttempts: 1,
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' },
    }),
);

const cases: Array<{
  name: 'anthropic' | 'gemini' | 'bedrock';
  adapter: ProviderAdapter;
  apiKey?: string;
  base: (url: string) => string;
  extra?: object;
}> = [
  { name: 'anthropic', adapter: anthropicAdapter, apiKey: 'sk-ant-test', base: (u) => `${u}/v1` },
  { name: 'gemini', adapter: geminiAdapter, apiKey: 'AIza-test', base: (u) => `${u}/v1beta` },
  { name: 'bedrock', adapter: bedrock, base: (u) => u, extra: { region: 'us-west-2' } },
];

function ctxFor(c: (typeof cases)[number], url = mocks[c.name].url, signal = new AbortController().signal): ProviderCallContext {
  const provider = {
    id: `${c.name}-mock`,
    kind: c.name,
    baseUrl: c.base(url),
    timeoutMs: 10_000,
    dataCollection: 'deny',
    ...c.extra,
  } as unknown as ProviderConfig;
  return { provider, apiKey: c.apiKey, signal, fetch };
}
const requestFor = (name: string, over: Record<string, unknown> = {}): ChatRequest =>
  chatRequestSchema().parse({ ...json<object>(name, 'chat.openai-request.json'), ...over });

const EXPECTED_TOOL = { name: 'get_weather', args: { city: 'Lyon', unit: 'c' } };

describe.each(cases)('$name adapter against its mock upstream', (c) => {
  it('sends the fixture request body on the wire', async () => {
    await c.adapter.chat(requestFor(c.name), ctxFor(c));
    const sent = mocks[c.name].recorded.at(-1)!;
    const expected = {
      anthropic: () => json('anthropic', 'chat.request.expected.json'),
      gemini: () => json('gemini', 'generate.request.expected.json'),
      bedrock: () => json('bedrock', 'converse.request.expected.json'),
    }[c.name]();
    expect(sent.body).toEqual(expected);
    if (c.name === 'bedrock') {
      expect(sent.path).toBe('/model/us.anthropic.claude-3-5-haiku-20241022-v1%3A0/converse');
      expect(sent.headers.authorization).toMatch(/Credential=AKIDTEST\/\d{8}\/us-west-2\/bedrock\/aws4_request/);
    }
  });

  it('gives the same OpenAI-format result and usage, buffered and streamed', async () => {
    const buffered = await c.adapter.chat(requestFor(c.name), ctxFor(c));
    const events = await collect(await c.adapter.chatStream(requestFor(c.name, { stream: true }), ctxFor(c)));
    const streamed = assemble(events);
    const msg = buffered.completion.choices[0]!.message;

    expect(msg.content).toBe('Let me check the weather in Lyon.');
    expect(msg.tool_calls?.map((t) => ({ name: t.function.name, args: JSON.parse(t.function.arguments) }))).toEqual([EXPECTED_TOOL]);
    expect(buffered.completion.choices[0]!.finish_reason).toBe('tool_calls');

    expect(streamed.role).toBe('assistant');
    expect(streamed.content).toBe(msg.content);
    expect(streamed.tools.map((t) => ({ name: t.name, args: JSON.parse(t.arguments) }))).toEqual([EXPECTED_TOOL]);
    expect(streamed.finish).toBe('tool_calls');

    // Exactly one usage event, last, equal to the buffered usage: identical cost either way.
    expect(events.filter((e) => e.type === 'usage')).toEqual([{ type: 'usage', usage: buffered.usage }]);
    expect(events.at(-1)!.type).toBe('usage');
    expect(buffered.usage).toMatchObject({ promptTokens: 2272, completionTokens: 89, cachedReadTokens: 1800, cacheWriteTokens: 0 });
  });

  it('reports a refused connection as a retryable connect error', async () => {
    const closed = await mockUpstream(() => undefined);
    const deadUrl = closed.url;
    await closed.close();
    const err = await c.adapter.chat(requestFor(c.name), ctxFor(c, deadUrl)).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'UpstreamError', reason: 'connect', retryable: true });
    expect(String((err as Error).message)).not.toMatch(/weather|Lyon/);
  });
});

describe('upstream failures over the wire', () => {
  it('anthropic: HTTP 529 rejects chatStream before any byte, retryable', async () => {
    await expect(
      anthropicAdapter.chatStream(requestFor('anthropic', { model: 'overloaded', stream: true }), ctxFor(cases[0]!)),
    ).rejects.toMatchObject({
      reason: 'http',
      status: 529,
      message: 'anthropic-mock returned HTTP 529 (overloaded_error)',
      retryable: true,
    });
  });

  it('anthropic: aborting mid-stream ends iteration with an aborted error', async () => {
    const ac = new AbortController();
    const events = await anthropicAdapter.chatStream(
      requestFor('anthropic', { model: 'hang', stream: true }),
      ctxFor(cases[0]!, undefined, ac.signal),
    );
    const seen: StreamEvent[] = [];
    const err = await (async () => {
      for await (const e of events) {
        seen.push(e);
        if (seen.length === 1) ac.abort(); // after the first chunk, the client goes away
      }
    })().catch((e: unknown) => e);
    expect(seen.length).toBeGreaterThanOrEqual(1);
    expect(err).toMatchObject({ name: 'UpstreamError', reason: 'aborted' });
  });

  it('gemini: HTTP 429 maps to an OpenAI rate_limit_error body', async () => {
    const err = await geminiAdapter.chat(requestFor('gemini', { model: 'gemini-unknown' }), ctxFor(cases[1]!)).catch((e: unknown) => e);
    expect(err).toMatchObject({
      reason: 'http',
      status: 429,
      upstreamBody: { error: { type: 'rate_limit_error', code: 'RESOURCE_EXHAUSTED' } },
    });
  });

  it('bedrock: an HTTP 429 ThrottlingException is a retryable http error', async () => {
    const err = await bedrock
      .chatStream(requestFor('bedrock', { model: 'throttled', stream: true }), ctxFor(cases[2]!))
      .catch((e: unknown) => e);
    expect(err).toMatchObject({
      reason: 'http',
      status: 429,
      message: 'bedrock-mock returned HTTP 429 (ThrottlingException)',
      retryable: true,
    });
  });

  it('bedrock: an exception message inside the event stream ends the stream with an error', async () => {
    const events = await bedrock.chatStream(requestFor('bedrock', { model: 'throttled-mid-stream', stream: true }), ctxFor(cases[2]!));
    const seen: StreamEvent[] = [];
    const err = await (async () => {
      for await (const e of events) seen.push(e);
    })().catch((e: unknown) => e);
    expect(assemble(seen).content).toBe('Let me check the weather in Lyon.');
    expect(seen.some((e) => e.type === 'usage')).toBe(false);
    expect(err).toMatchObject({ reason: 'http', status: 429, message: 'bedrock-mock returned HTTP 429 (ThrottlingException)' });
  });
});
