/**
 * The router end to end over real sockets: the official openai client → local server (the same
 * Lambda handlers) → mock OpenAI-compatible upstreams on 127.0.0.1, with DynamoDB Local.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { costNanoUsd, offerPrice } from '../../lambdas/core/pricing';
import { nanoToUsd } from '../../lambdas/domain/money';
import { threeProviderConfig } from '../helpers/config';
import { startTestRouter, type TestRouter } from '../helpers/local-router';
import { type MockUpstream, startOpenAIUpstream } from '../helpers/openai-upstream';

const CANARY = 'CANARY-PROMPT-5b8e1d2f';
const CHEAP = offerPrice({ input: 0.23, output: 0.4, cachedInput: 0.115 });
const MID = offerPrice({ input: 0.59, output: 0.79, cachedInput: 0.295 });

let router: TestRouter;
let up: { cheap: MockUpstream; mid: MockUpstream; dear: MockUpstream };
let client: OpenAI;
const account = 'acct-chat';

async function usageEvents(accountId = account): Promise<Record<string, any>[]> {
  const out = await router.db.send(
    new QueryCommand({
      TableName: router.tables.usage,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :e)',
      ExpressionAttributeValues: { ':pk': `acct#${accountId}`, ':e': 'evt#' },
      ConsistentRead: true,
    }),
  );
  return out.Items ?? [];
}

/** The usage record of a request. Metering runs after the response is complete, so wait for it. */
async function eventFor(requestId: string): Promise<Record<string, any>> {
  return vi.waitFor(
    async () => {
      const found = (await usageEvents()).filter((e) => e.requestId === requestId);
      expect(found).toHaveLength(1);
      return found[0]!;
    },
    { timeout: 10_000, interval: 50 },
  );
}

const prompt = (extra = '') => [
  { role: 'system' as const, content: 'You are terse.' },
  // Long enough that the upstream's reported 1234 prompt tokens are within the prompt's upper bound (usage-bounds.ts).
  { role: 'user' as const, content: `Say something. ${CANARY} ${extra} ${'Some context. '.repeat(100)}` },
];

beforeAll(async () => {
  up = { cheap: await startOpenAIUpstream('cheap'), mid: await startOpenAIUpstream('mid'), dear: await startOpenAIUpstream('dear') };
  router = await startTestRouter(threeProviderConfig({ cheap: up.cheap.url, mid: up.mid.url, dear: up.dear.url }), {
    CHEAP_KEY: 'sk-upstream-cheap',
    MID_KEY: 'sk-upstream-mid',
    DEAR_KEY: 'sk-upstream-dear',
  });
  client = router.client(await router.createKey(account));
});

afterAll(async () => {
  await router?.stop();
  await Promise.all(Object.values(up ?? {}).map((u) => u.close()));
});

beforeEach(() => {
  for (const u of Object.values(up)) {
    u.mode = { kind: 'ok' };
    u.requests.length = 0;
  }
});

describe('chat completions through the router', () => {
  it('buffered: routes to the cheapest offer and meters exactly what the upstream reported', async () => {
    const { data, response } = await client.chat.completions.create({ model: 'acme/llama-test', messages: prompt() }).withResponse();
    expect(data.choices[0]!.message.content).toBe('The answer is forty-two.');
    expect(response.headers.get('x-ctr-provider')).toBe('cheap');
    expect((data as unknown as { provider: string }).provider).toBe('cheap');
    expect(data.model).toBe('acme/llama-test');
    expect(up.cheap.requests).toHaveLength(1);
    expect(up.cheap.requests[0]!.authorization).toBe('Bearer sk-upstream-cheap');
    expect(up.cheap.requests[0]!.body.model).toBe('llama-cheap');
    expect(up.cheap.requests[0]!.body).not.toHaveProperty('provider');

    const expected = costNanoUsd(
      { promptTokens: 1234, completionTokens: 56, cachedReadTokens: 1024, cacheWriteTokens: 0, reasoningTokens: 0 },
      CHEAP,
    );
    // 210 uncached × 0.23 + 1024 cached × 0.115 + 56 × 0.40 (USD per M) = 48 300 + 117 760 + 22 400 nano-USD
    expect(expected).toBe(188_460);
    expect((data.usage as unknown as { cost: number }).cost).toBe(nanoToUsd(expected));
    expect(data.usage!.prompt_tokens_details?.cached_tokens).toBe(1024);

    const ev = await eventFor(response.headers.get('x-request-id')!);
    expect(ev).toMatchObject({
      accountId: account,
      requestedModel: 'acme/llama-test',
      servedModel: 'acme/llama-test',
      provider: 'cheap',
      upstreamModel: 'llama-cheap',
      promptTokens: 1234,
      completionTokens: 56,
      cachedReadTokens: 1024,
      costNanoUsd: expected,
      status: 'ok',
      usageSource: 'upstream',
      attempts: 1,
      stream: false,
    });
    expect(ev.expiresAt).toBeGreaterThan(Date.now() / 1000 + 729 * 86_400);
    expect(ev.expiresAt).toBeLessThanOrEqual(Date.now() / 1000 + 730 * 86_400 + 5);
  });

  it('streamed: forwards chunks and the usage chunk with cost; the record matches the buffered cost', async () => {
    const stream = await client.chat.completions.create({
      model: 'acme/llama-test',
      messages: prompt(),
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: (OpenAI.CompletionUsage & { cost?: number }) | undefined;
    let id = '';
    for await (const chunk of stream) {
      id = chunk.id;
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('The answer is forty-two.');
    expect(up.cheap.requests[0]!.body.stream_options).toEqual({ include_usage: true });
    const expected = 188_460;
    expect(usage?.prompt_tokens).toBe(1234);
    expect(usage?.cost).toBe(nanoToUsd(expected));
    const ev = await eventFor(id.replace(/^chatcmpl-/, ''));
    expect(ev).toMatchObject({ costNanoUsd: expected, stream: true, status: 'ok', usageSource: 'upstream' });
  });

  it('streamed without include_usage: still asks the upstream for usage, meters it, and sends no usage chunk', async () => {
    const stream = await client.chat.completions.create({ model: 'acme/llama-test', messages: prompt(), stream: true });
    let id = '';
    let sawUsage = false;
    for await (const chunk of stream) {
      id = chunk.id;
      if (chunk.usage) sawUsage = true;
    }
    expect(sawUsage).toBe(false);
    expect(up.cheap.requests[0]!.body.stream_options).toEqual({ include_usage: true });
    expect((await eventFor(id.replace(/^chatcmpl-/, ''))).costNanoUsd).toBe(188_460);
  });

  it('streamed tools: tool-call arguments arrive byte-exact from split chunks', async () => {
    const tools = [
      {
        type: 'function' as const,
        function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
      },
    ];
    const stream = await client.chat.completions.create({ model: 'acme/llama-test', messages: prompt(), tools, stream: true });
    let args = '';
    let name = '';
    let finish: string | null = null;
    for await (const chunk of stream) {
      const call = chunk.choices[0]?.delta.tool_calls?.[0];
      if (call?.function?.name) name = call.function.name;
      args += call?.function?.arguments ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(name).toBe('get_weather');
    expect(args).toBe('{"city": "Zürich", "unit": "celsius", "note": "ünïcødé ✓"}');
    expect(finish).toBe('tool_calls');
    const buffered = await client.chat.completions.create({ model: 'acme/llama-test', messages: prompt(), tools });
    expect(buffered.choices[0]!.message.tool_calls?.[0]).toMatchObject({ function: { name: 'get_weather', arguments: args } });
  });

  it('falls back to the next offer when the cheapest fails with a retryable error', async () => {
    up.cheap.mode = { kind: 'status', status: 503 };
    const { data, response } = await client.chat.completions.create({ model: 'acme/llama-test', messages: prompt() }).withResponse();
    expect(response.headers.get('x-ctr-provider')).toBe('mid');
    expect(up.cheap.requests).toHaveLength(1);
    expect(up.mid.requests).toHaveLength(1);
    const ev = await eventFor(response.headers.get('x-request-id')!);
    expect(ev).toMatchObject({ provider: 'mid', attempts: 2, status: 'ok' });
    expect(ev.costNanoUsd).toBe(
      costNanoUsd({ promptTokens: 1234, completionTokens: 56, cachedReadTokens: 1024, cacheWriteTokens: 0, reasoningTokens: 0 }, MID),
    );
    expect(data.choices[0]!.message.content).toBe('The answer is forty-two.');
  });

  it('falls back on 429 and on connection errors before the first byte of a stream', async () => {
    up.cheap.mode = { kind: 'status', status: 429 };
    const closed = await startOpenAIUpstream('gone');
    await closed.close();
    const stream = await client.chat.completions.create({ model: 'acme/llama-test', messages: prompt(), stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('The answer is forty-two.');
    expect(up.mid.requests).toHaveLength(1);
  });

  it('still falls back when a stream fails after a content-free first chunk (nothing reached the client yet)', async () => {
    up.cheap.mode = { kind: 'fail-after-role' };
    const stream = await client.chat.completions.create({
      model: 'acme/llama-test',
      messages: prompt(),
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('The answer is forty-two.');
    // Nothing of the failed attempt reaches the client: one role chunk, one id, and the serving provider on every chunk.
    expect(chunks.filter((c) => c.choices[0]?.delta.role !== undefined)).toHaveLength(1);
    expect(chunks[0]!.choices[0]?.delta.role).toBe('assistant');
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(chunks.map((c) => (c as unknown as { provider: string }).provider)).toEqual(chunks.map(() => 'mid'));
    expect(up.cheap.requests).toHaveLength(1);
  });

  it('a stream that goes silent before any content times out and falls back; the stalled call is aborted', async () => {
    up.cheap.mode = { kind: 'stall-after-role' };
    const abandoned = up.cheap.abandoned;
    const stream = await client.chat.completions.create({ model: 'acme/llama-test', messages: prompt(), stream: true });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('The answer is forty-two.');
    expect(chunks.filter((c) => c.choices[0]?.delta.role !== undefined)).toHaveLength(1);
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(new Set(chunks.map((c) => (c as unknown as { provider: string }).provider))).toEqual(new Set(['mid']));
    expect(up.mid.requests).toHaveLength(1);
    await vi.waitFor(() => expect(up.cheap.abandoned).toBe(abandoned + 1), { timeout: 10_000 });
  });

  it('returns an upstream request error (4xx) without trying other offers, and meters it once', async () => {
    up.cheap.mode = {
      kind: 'status',
      status: 400,
      body: {
        error: {
          message: 'Unsupported parameter: logit_bias',
          type: 'invalid_request_error',
          param: 'logit_bias',
          code: 'unsupported_parameter',
        },
      },
    };
    const err = await client.chat.completions.create({ model: 'acme/llama-test', messages: prompt() }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.status).toBe(400);
    expect(err.code).toBe('unsupported_parameter');
    expect(err.param).toBe('logit_bias');
    expect(up.mid.requests).toHaveLength(0);
    const ev = await eventFor(err.headers.get('x-request-id'));
    expect(ev).toMatchObject({ status: 'upstream_rejected', provider: 'cheap', costNanoUsd: 0, attempts: 1 });
  });

  it('a failure after the first byte ends the stream with an explicit error event, not a clean end', async () => {
    up.cheap.mode = { kind: 'midstream-fail' };
    const { data: stream, response } = await client.chat.completions
      .create({ model: 'acme/llama-test', messages: prompt(), stream: true })
      .withResponse();
    let text = '';
    const err = await (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    })().catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(String(err.message)).toMatch(/failed mid-stream/);
    expect(text).toBe('The answer is');
    expect(up.mid.requests).toHaveLength(0);
    const last = await eventFor(response.headers.get('x-request-id')!);
    expect(last).toMatchObject({ status: 'upstream_error', stream: true });
    expect(last.usageSource).toBe('estimated');
    expect(last.costNanoUsd).toBeGreaterThan(0);
  });

  it('an upstream stream that ends cleanly but unfinished is reported as an error, not a clean end', async () => {
    up.cheap.mode = { kind: 'truncated' };
    const stream = await client.chat.completions.create({ model: 'acme/llama-test', messages: prompt(), stream: true });
    let text = '';
    const err = await (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    })().catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(String(err.message)).toMatch(/ended before it finished/);
    expect(text).toBe('The answer is');
  });

  it('a client that leaves before the first byte aborts the upstream call, and the request is metered once', async () => {
    up.cheap.mode = { kind: 'hang' };
    const abandonedBefore = up.cheap.abandoned;
    const controller = new AbortController();
    const pending = client.chat.completions
      .create({ model: 'acme/llama-test', messages: prompt(), stream: true }, { signal: controller.signal })
      .catch((e) => e);
    await vi.waitFor(() => expect(up.cheap.requests).toHaveLength(1), { timeout: 10_000 });
    controller.abort();
    expect(await pending).toBeInstanceOf(Error);
    await vi.waitFor(() => expect(up.cheap.abandoned).toBe(abandonedBefore + 1), { timeout: 10_000 });
    expect(up.mid.requests).toHaveLength(0);
    await vi.waitFor(
      async () => {
        const closed = (await usageEvents()).filter((e) => e.status === 'client_closed');
        expect(closed.length).toBe(1);
        // No usage came back, so the prompt's estimate is billed and flagged as estimated.
        expect(closed[0]).toMatchObject({ provider: 'cheap', attempts: 1, usageSource: 'estimated', completionTokens: 0 });
        expect(closed[0]!.costNanoUsd).toBeGreaterThan(0);
      },
      { timeout: 10_000 },
    );
  });

  it('returns 503 with Retry-After in OpenAI format when every offer fails', async () => {
    for (const u of Object.values(up)) u.mode = { kind: 'status', status: 500 };
    const err = await client.chat.completions.create({ model: 'acme/llama-test', messages: prompt() }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.InternalServerError);
    expect(err.status).toBe(503);
    expect(Number(err.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(err.code).toBe('all_providers_failed');
    expect(up.cheap.requests.length + up.mid.requests.length + up.dear.requests.length).toBe(3);
  });

  it('reuses keep-alive connections to an upstream', async () => {
    const before = up.cheap.connections;
    for (let i = 0; i < 5; i++) await client.chat.completions.create({ model: 'acme/llama-test', messages: prompt() });
    expect(up.cheap.connections - before).toBeLessThanOrEqual(1);
  });

  it('serves the offline mock provider with streaming and tools', async () => {
    const stream = await client.chat.completions.create({
      model: 'mock/echo-small',
      messages: prompt(),
      stream: true,
      stream_options: { include_usage: true },
      tools: [
        {
          type: 'function',
          function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] } },
        },
      ],
    });
    let args = '';
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      args += chunk.choices[0]?.delta.tool_calls?.[0]?.function?.arguments ?? '';
      usage = chunk.usage ?? usage;
    }
    expect(JSON.parse(args)).toEqual({ q: 'sample q' });
    expect(usage!.prompt_tokens).toBeGreaterThan(0);
  });
});

describe('errors and keys', () => {
  it('answers 401 for a missing, unknown or revoked key', async () => {
    const bad = router.client('sk-ctr-not-a-key');
    await expect(bad.chat.completions.create({ model: 'mock/echo-small', messages: prompt() })).rejects.toBeInstanceOf(
      OpenAI.AuthenticationError,
    );
    const res = await fetch(`${router.baseUrl}/chat/completions`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { type: string } }).error.type).toBe('authentication_error');
    const { keyId, key: secret } = await router.accounts.createKey(account, { name: 'to-revoke' });
    await router.accounts.revokeKey(keyId);
    await expect(router.client(secret).chat.completions.create({ model: 'mock/echo-small', messages: prompt() })).rejects.toBeInstanceOf(
      OpenAI.AuthenticationError,
    );
  });

  it('answers malformed requests with OpenAI-format 4xx errors, never a 500', async () => {
    const key = await router.createKey(account);
    const post = (body: string) =>
      fetch(`${router.baseUrl}/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body,
      });
    const cases: Array<[string, number, string]> = [
      ['{not json', 400, 'invalid_json'],
      ['', 400, 'invalid_json'],
      ['[]', 400, 'invalid_value'],
      [JSON.stringify({ model: 'acme/llama-test' }), 400, 'missing_required_parameter'],
      [JSON.stringify({ model: 'nope', messages: prompt() }), 404, 'model_not_found'],
      [
        JSON.stringify({
          model: 'acme/llama-test',
          messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:,' } }] }],
        }),
        400,
        'no_eligible_offer',
      ],
      [JSON.stringify({ model: 'acme/llama-test', messages: [{ role: CANARY, content: CANARY }] }), 400, 'invalid_value'],
    ];
    for (const [body, status, code] of cases) {
      const res = await post(body);
      const json = (await res.json()) as { error: { code: string } };
      expect(res.status, body).toBe(status);
      expect(json.error.code, body).toBe(code);
      expect(JSON.stringify(json)).not.toContain(CANARY);
    }
    // Malformed query values and path escapes are 400s too.
    const badDay = await fetch(`${router.baseUrl}/usage?to=2024-13-45`, { headers: { authorization: `Bearer ${key}` } });
    expect(badDay.status).toBe(400);
    const badEscape = await fetch(`${router.baseUrl}/models/%E0%A4%A`);
    expect(badEscape.status).toBe(400);
    const unknown = await fetch(`${router.baseUrl}/nothing-here`);
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('unknown_route');
  });

  it('lists models with their offers and prices', async () => {
    const models = await router.client('unused').models.list();
    const llama = models.data.find((m) => m.id === 'acme/llama-test') as unknown as {
      offers: Array<{ provider: string; pricing: { input: number } }>;
    };
    expect(llama.offers.map((o) => [o.provider, o.pricing.input])).toEqual([
      ['mid', 0.59],
      ['cheap', 0.23],
      ['dear', 0.88],
    ]);
  });
});

describe('no content is stored or logged', () => {
  it('the canary prompt is in no DynamoDB item and in no log line', async () => {
    const dump = await router.dumpAllTables();
    expect(dump.length).toBeGreaterThan(100);
    expect(dump).toContain('acct-chat');
    expect(dump).not.toContain(CANARY);
    expect(dump).not.toContain('forty-two');
    expect(router.logs.length).toBeGreaterThan(5);
    const logs = router.logs.join('\n');
    expect(logs).not.toContain(CANARY);
    expect(logs).not.toContain('forty-two');
    expect(logs).not.toContain('Zürich');
  });
});
