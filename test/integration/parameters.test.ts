/**
 * No parameter dropped, over real sockets in local mode: each parameter that only some provider
 * kinds take, sent with the official client to a model an OpenAI-compatible upstream serves,
 * arrives upstream as sent (buffered and streamed); sent to a model only a Bedrock offer serves,
 * it is a 400 naming it. `system_fingerprint` is on every answer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KindLimitedParameter } from '../../lambdas/domain/chat-params';
import { threeProviderConfig } from '../helpers/config';
import { startTestRouter, type TestRouter } from '../helpers/local-router';
import { type MockUpstream, startOpenAIUpstream } from '../helpers/openai-upstream';
import { PARAMETER_SAMPLES, REFUSED_EVERYWHERE, usingParameter } from '../helpers/parameter-samples';

let up: MockUpstream;
let router: TestRouter;
let key: string;

beforeAll(async () => {
  up = await startOpenAIUpstream('openai-kind');
  const raw = threeProviderConfig({ cheap: up.url, mid: up.url, dear: up.url });
  // A Bedrock provider takes none of the table's parameters (tests have no network: a call to it would fail with a 5xx, not a 400).
  raw.providers.push({ id: 'bed', kind: 'bedrock', region: 'us-east-1', timeoutMs: 5000 });
  raw.models.push({
    id: 'acme/bedrock-only',
    capabilities: { tools: true },
    contextWindow: 100_000,
    maxOutput: 4096,
    offers: [{ provider: 'bed', upstreamModel: 'amazon.nova-micro-v1:0', price: { input: 1, output: 5 } }],
  });
  router = await startTestRouter(raw, { CHEAP_KEY: 'k1', MID_KEY: 'k2', DEAR_KEY: 'k3', CTR_BEDROCK: '1' });
  key = await router.createKey('acct-params');
});

afterAll(async () => {
  await router?.stop();
  await up?.close();
});

const FORWARDED = (Object.keys(PARAMETER_SAMPLES) as KindLimitedParameter[]).filter((p) => !REFUSED_EVERYWHERE.includes(p));

async function post(body: Record<string, unknown>) {
  const res = await fetch(`${router.baseUrl}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'Hello there' }], max_tokens: 32, ...body }),
    signal: AbortSignal.timeout(15_000),
  });
  return { status: res.status, body: (await res.text()) as string };
}

describe('kind-limited parameters over a socket', () => {
  it.each(FORWARDED)('%s reaches an OpenAI-kind upstream as sent', async (param) => {
    // Prepare
    const before = up.requests.length;

    // Act
    const res = await post({ model: 'acme/llama-test', ...usingParameter(param) });

    // Assess
    expect(res.status, res.body).toBe(200);
    expect(up.requests.length).toBe(before + 1);
    expect(up.requests.at(-1)!.body[param]).toEqual(PARAMETER_SAMPLES[param]);
  });

  it('reaches it streamed too, with the official client, every parameter at once', async () => {
    // Prepare
    const sent = Object.fromEntries(FORWARDED.map((p) => [p, PARAMETER_SAMPLES[p]]));

    // Act
    const stream = await router.client(key).chat.completions.create({
      model: 'acme/llama-test',
      messages: [{ role: 'user', content: 'Hello there' }],
      stream: true,
      ...(sent as object),
    } as unknown as Parameters<ReturnType<TestRouter['client']>['chat']['completions']['create']>[0] & { stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';

    // Assess
    expect(text).toBe('The answer is forty-two.');
    const upstream = up.requests.at(-1)!.body;
    for (const p of FORWARDED) expect(upstream[p], p).toEqual(PARAMETER_SAMPLES[p]);
  });

  it.each(FORWARDED)('%s sent to a model only a Bedrock offer serves is a 400 naming it', async (param) => {
    // Act
    const res = await post({ model: 'acme/bedrock-only', ...usingParameter(param) });

    // Assess
    expect(res.status).toBe(400);
    const error = JSON.parse(res.body).error;
    expect(error).toMatchObject({ type: 'invalid_request_error', param, code: 'unsupported_parameter' });
    expect(error.message).toContain(`does not support ${param}`);
  });

  it.each(REFUSED_EVERYWHERE)('%s is a 400 naming it, whatever the model', async (param) => {
    // Act
    const res = await post({ model: 'acme/llama-test', ...usingParameter(param) });

    // Assess
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).error).toMatchObject({ param, code: 'unsupported_parameter' });
  });

  it('passes the upstream log probabilities back, buffered and streamed', async () => {
    // Act
    const client = router.client(key);
    const ask = {
      model: 'acme/llama-test',
      messages: [{ role: 'user' as const, content: 'Hello there' }],
      logprobs: true,
      top_logprobs: 2,
    };
    const completion = await client.chat.completions.create(ask);
    const streamed: string[] = [];
    for await (const chunk of await client.chat.completions.create({ ...ask, stream: true }))
      for (const lp of chunk.choices[0]?.logprobs?.content ?? []) streamed.push(lp.token);

    // Assess
    const content = completion.choices[0]!.logprobs!.content!;
    expect(content.map((t) => t.token).join('')).toBe('The answer is forty-two.');
    expect(content[0]!.top_logprobs).toHaveLength(2);
    expect(streamed.join('')).toBe('The answer is forty-two.');
  });

  it('puts a system_fingerprint on buffered answers and on every stream chunk, stable per offer', async () => {
    // Act
    const client = router.client(key);
    const ask = { model: 'acme/llama-test', messages: [{ role: 'user' as const, content: 'Hello there' }] };
    const first = await client.chat.completions.create(ask);
    const second = await client.chat.completions.create(ask);
    const chunks = [];
    for await (const chunk of await client.chat.completions.create({ ...ask, stream: true, stream_options: { include_usage: true } }))
      chunks.push(chunk);

    // Assess: the upstream sent none; the router's names the offer that served.
    expect(first.system_fingerprint).toMatch(/^fp_[0-9a-f]{10}$/);
    expect(second.system_fingerprint).toBe(first.system_fingerprint);
    expect(chunks.length).toBeGreaterThan(2);
    for (const chunk of chunks) expect(chunk.system_fingerprint).toBe(first.system_fingerprint);
  });

  it.each(['none', 'minimal', 'xhigh', 'max'] as const)('the official client sends reasoning_effort %s and it arrives', async (effort) => {
    // Act
    const completion = await router.client(key).chat.completions.create({
      model: 'acme/llama-test',
      messages: [{ role: 'user', content: 'Hello there' }],
      reasoning_effort: effort,
    });

    // Assess
    expect(completion.choices[0]!.message.content).toBe('The answer is forty-two.');
    expect(up.requests.at(-1)!.body.reasoning_effort).toBe(effort);
  });
});
