/**
 * Presets for OpenAI-compatible hosts: one row per preset (base URL, auth header), Azure's
 * deployment URL, api-key header and api-version query, dropped parameters, config validation;
 * then the openai adapter with `preset: 'azure-openai'` against a mock upstream on 127.0.0.1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProviderConfig, parseConfig } from '../../lambdas/core/config';
import { type ChatRequest, chatRequestSchema } from '../../lambdas/domain/chat-request';
import { UnsupportedByOffer } from '../../lambdas/domain/errors';
import type { ProviderCallContext, StreamEvent } from '../../lambdas/domain/ports';
import { PRESET_IDS, type PresetId } from '../../lambdas/domain/provider';
import { openaiAdapter } from '../../lambdas/providers/openai';
import { OPENAI_COMPATIBLE_PRESETS, resolvePreset } from '../../lambdas/providers/presets';
import { rawDefaultConfig } from '../helpers/config';
import { openaiWire, SCRIPT, scriptedUpstream, type Upstream } from '../helpers/provider-upstreams';

const EXPECTED: Record<PresetId, { baseUrl: string; auth: 'bearer' | 'api-key' }> = {
  openai: { baseUrl: 'https://api.openai.com/v1', auth: 'bearer' },
  'azure-openai': { baseUrl: 'https://acme.openai.azure.com/openai/deployments/gpt-4o-mini', auth: 'api-key' },
  groq: { baseUrl: 'https://api.groq.com/openai/v1', auth: 'bearer' },
  together: { baseUrl: 'https://api.together.xyz/v1', auth: 'bearer' },
  deepinfra: { baseUrl: 'https://api.deepinfra.com/v1/openai', auth: 'bearer' },
  fireworks: { baseUrl: 'https://api.fireworks.ai/inference/v1', auth: 'bearer' },
  mistral: { baseUrl: 'https://api.mistral.ai/v1', auth: 'bearer' },
  openrouter: { baseUrl: 'https://openrouter.ai/api/v1', auth: 'bearer' },
};
const AZURE_PARAMS = { resource: 'acme', deployment: 'gpt-4o-mini' };

describe('resolvePreset', () => {
  it('has a row for every preset', () => expect(Object.keys(EXPECTED).sort()).toEqual([...PRESET_IDS].sort()));

  it.each(PRESET_IDS)('%s: base URL and auth header', (id) => {
    const r = resolvePreset(id, AZURE_PARAMS);
    expect(r.baseUrl).toBe(EXPECTED[id].baseUrl);
    expect(r.authHeader('k-1')).toEqual(EXPECTED[id].auth === 'bearer' ? { authorization: 'Bearer k-1' } : { 'api-key': 'k-1' });
    expect(OPENAI_COMPATIBLE_PRESETS[id].notes.length).toBeGreaterThan(0);
  });

  it('azure-openai: api-version query by default, overridable per provider', () => {
    expect(resolvePreset('azure-openai', AZURE_PARAMS).query).toEqual({ 'api-version': '2024-10-21' });
    expect(resolvePreset('azure-openai', AZURE_PARAMS, { 'api-version': '2025-01-01-preview' }).query).toEqual({
      'api-version': '2025-01-01-preview',
    });
    expect(resolvePreset('groq').query).toEqual({});
  });

  it('azure-openai: placeholders are required and URL-encoded', () => {
    expect(() => resolvePreset('azure-openai', {})).toThrow(/"resource", "deployment"/);
    expect(resolvePreset('azure-openai', { resource: 'acme', deployment: 'my dep/1' }).baseUrl).toBe(
      'https://acme.openai.azure.com/openai/deployments/my%20dep%2F1',
    );
  });
});

// --- The openai adapter with presets, no network: an injected fetch records the call ---------
interface Sent {
  url: string;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

function recordingFetch(sent: Sent[]): typeof fetch {
  return (async (url: string | URL, init?: RequestInit) => {
    sent.push({ url: String(url), headers: init?.headers as Record<string, string>, body: JSON.parse(String(init?.body)) });
    const usage = { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 };
    return new Response(
      JSON.stringify({
        id: 'x',
        object: 'chat.completion',
        created: 1,
        model: 'm',
        choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop', logprobs: null }],
        usage,
      }),
      {
        status: 200,
        headers: { 'content-type': 'application/json' },
      },
    );
  }) as typeof fetch;
}

const provider = (over: Partial<ProviderConfig>): ProviderConfig =>
  ({ id: 'p', kind: 'openai', timeoutMs: 5000, dataCollection: 'deny', ...over }) as ProviderConfig;
const ctx = (p: ProviderConfig, fetchImpl: typeof fetch, apiKey = 'sk-test'): ProviderCallContext => ({
  provider: p,
  apiKey,
  signal: new AbortController().signal,
  fetch: fetchImpl,
});
const request = (over: Record<string, unknown> = {}): ChatRequest =>
  chatRequestSchema().parse({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: 'Hi', name: 'alice' }],
    logit_bias: { '50256': -100 },
    ...over,
  });

describe('openai adapter with presets (injected fetch)', () => {
  const rows: Array<{ name: string; provider: Partial<ProviderConfig>; url: string; auth: Record<string, string> }> = [
    {
      name: 'azure-openai: deployment URL, api-version, api-key header',
      provider: { preset: 'azure-openai', presetParams: AZURE_PARAMS },
      url: 'https://acme.openai.azure.com/openai/deployments/gpt-4o-mini/chat/completions?api-version=2024-10-21',
      auth: { 'api-key': 'sk-test' },
    },
    {
      name: 'azure-openai with a newer api-version from the provider query',
      provider: { preset: 'azure-openai', presetParams: AZURE_PARAMS, query: { 'api-version': '2025-01-01-preview' } },
      url: 'https://acme.openai.azure.com/openai/deployments/gpt-4o-mini/chat/completions?api-version=2025-01-01-preview',
      auth: { 'api-key': 'sk-test' },
    },
    {
      name: 'groq: preset base URL, bearer',
      provider: { preset: 'groq' },
      url: 'https://api.groq.com/openai/v1/chat/completions',
      auth: { authorization: 'Bearer sk-test' },
    },
    {
      name: 'no preset: baseUrl, bearer',
      provider: { baseUrl: 'https://llm.internal.example/v1/' },
      url: 'https://llm.internal.example/v1/chat/completions',
      auth: { authorization: 'Bearer sk-test' },
    },
  ];
  it.each(rows)('$name', async (row) => {
    const sent: Sent[] = [];
    await openaiAdapter.chat(request({ logit_bias: null }), ctx(provider(row.provider), recordingFetch(sent)));
    expect(sent).toHaveLength(1);
    expect(sent[0]!.url).toBe(row.url);
    expect(sent[0]!.headers).toMatchObject(row.auth);
    if (!('authorization' in row.auth)) expect(sent[0]!.headers).not.toHaveProperty('authorization');
  });

  it('drops what a preset host rejects when that changes nothing (groq: messages[].name, a null logit_bias), and only that', async () => {
    const sent: Sent[] = [];
    await openaiAdapter.chat(request({ logit_bias: null, logprobs: false }), ctx(provider({ preset: 'groq' }), recordingFetch(sent)));
    await openaiAdapter.chat(request(), ctx(provider({ preset: 'openai' }), recordingFetch(sent)));
    expect(sent[0]!.body).not.toHaveProperty('logit_bias');
    expect(sent[0]!.body).not.toHaveProperty('logprobs');
    expect(sent[0]!.body.messages).toEqual([{ role: 'user', content: 'Hi' }]);
    expect(sent[1]!.body).toHaveProperty('logit_bias');
    expect(sent[1]!.body.messages).toEqual([{ role: 'user', content: 'Hi', name: 'alice' }]);
  });

  it.each([
    ['logit_bias', { '50256': -100 }],
    ['logprobs', true],
    ['top_logprobs', 3],
  ])('refuses %s for groq before sending anything, naming it (the next offer is tried)', async (param, value) => {
    // Prepare
    const sent: Sent[] = [];

    // Act
    const refused = openaiAdapter.chat(
      request({ logit_bias: null, [param]: value }),
      ctx(provider({ preset: 'groq' }), recordingFetch(sent)),
    );

    // Assess
    await expect(refused).rejects.toBeInstanceOf(UnsupportedByOffer);
    await expect(refused).rejects.toMatchObject({ param, message: `p does not support ${param}.` });
    expect(sent).toEqual([]);
  });
});

describe('config: presets', () => {
  const withProvider = (p: Record<string, unknown>) => {
    const raw = rawDefaultConfig();
    raw.providers.push({ id: 'x', credential: { env: 'X_KEY' }, ...p });
    return raw;
  };
  it('a provider of kind openai may name a preset instead of a baseUrl', () => {
    const config = parseConfig(withProvider({ kind: 'openai', preset: 'azure-openai', presetParams: AZURE_PARAMS }));
    expect(config.providers.find((p) => p.id === 'x')).toMatchObject({ preset: 'azure-openai', presetParams: AZURE_PARAMS });
  });
  it.each([
    ['a preset on another kind', { kind: 'anthropic', preset: 'groq' }, /presets are for kind openai/],
    ['kind openai with neither baseUrl nor preset', { kind: 'openai' }, /needs a baseUrl or a preset/],
    ['an unknown preset', { kind: 'openai', preset: 'nope' }, /providers\.\d+\.preset/],
  ])('rejects %s', (_name, p, message) => {
    expect(() => parseConfig(withProvider(p))).toThrow(message);
  });
});

// --- Over loopback: Azure's wire details reach a real socket -----------------------------------
describe('azure-openai preset against a mock upstream on 127.0.0.1', () => {
  let up: Upstream;
  beforeAll(async () => {
    // The scripted OpenAI upstream, at Azure's path (deployment + api-version) and with Azure's key header.
    const path = () => '/openai/deployments/gpt-4o-mini/chat/completions?api-version=2024-10-21';
    up = await scriptedUpstream(
      { ...openaiWire, path, authorized: (req) => req.headers['api-key'] === 'sk-oai-test' && !req.headers.authorization },
      {
        prompt_tokens: 12,
        completion_tokens: 6,
        total_tokens: 18,
      },
    );
  });
  afterAll(() => up?.close());

  const azure = () =>
    provider({ id: 'azure', preset: 'azure-openai', presetParams: AZURE_PARAMS, baseUrl: `${up.url}/openai/deployments/gpt-4o-mini` });

  it('buffered and streamed: the deployment path, api-version and api-key header; usage requested in streams', async () => {
    const c = ctx(azure(), fetch, 'sk-oai-test');
    const buffered = await openaiAdapter.chat(request(), c);
    const events: StreamEvent[] = [];
    for await (const e of await openaiAdapter.chatStream(request({ stream: true }), c)) events.push(e);

    expect(up.recorded.map((r) => r.path)).toEqual(
      Array(2).fill('/openai/deployments/gpt-4o-mini/chat/completions?api-version=2024-10-21'),
    );
    expect(up.recorded[1]!.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    expect(buffered.completion.choices[0]!.message.content).toBe(SCRIPT.text.join(''));
    const text = events.map((e) => (e.type === 'chunk' ? (e.chunk.choices[0]?.delta.content ?? '') : '')).join('');
    expect(text).toBe(SCRIPT.text.join(''));
    expect(events.filter((e) => e.type === 'usage')).toEqual([{ type: 'usage', usage: buffered.usage }]);
  });
});
