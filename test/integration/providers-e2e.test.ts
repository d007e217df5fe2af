/**
 * The same chat — text, tools, an image — through EACH adapter (OpenAI-compatible, Anthropic,
 * Bedrock, Gemini), end to end: the official openai client → the local server (the same Lambda
 * handlers) → the router → a mock upstream on 127.0.0.1 speaking that provider's wire format.
 * Streamed and buffered, every adapter yields the same OpenAI-format result, and the usage
 * record read back from DynamoDB Local carries the exact cost of the upstream's reported usage,
 * priced with the offer's prices (cache reads and writes at their own rates), equal either way.
 */
import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { costNanoUsd, offerPrice } from '../../lambdas/core/pricing';
import { nanoToUsd } from '../../lambdas/domain/money';
import { rawDefaultConfig } from '../helpers/config';
import { startTestRouter, type TestRouter } from '../helpers/local-router';
import {
  anthropicWire,
  bedrockWire,
  geminiWire,
  openaiWire,
  SCRIPT,
  scriptedUpstream,
  type Upstream,
  type Wire,
} from '../helpers/provider-upstreams';
import { usageEventFor } from '../helpers/usage-records';

const MODEL = 'e2e/chat-model';
const account = 'acct-e2e';
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

/** Prices in USD per million tokens, as in the config. */
interface Price {
  input: number;
  output: number;
  cachedInput?: number;
  cacheWrite?: number;
}

/** Token counts as the router must read them from the provider's own usage object. */
interface Counts {
  prompt: number;
  uncached: number;
  cacheRead: number;
  cacheWrite: number;
  output: number;
}

interface ProviderCase {
  id: string;
  wire: Wire;
  provider: Record<string, unknown>;
  upstreamModel: string;
  price: Price;
  /** The upstream's usage, in its own wire shape. */
  usage: Record<string, number | Record<string, number>>;
  counts: Counts;
  /** The exact cost in nano-USD, worked out by hand from `counts` and `price`. */
  costNano: number;
  /** Where the image must land in the provider's request body. */
  image(body: Record<string, any>): unknown;
  expectedImage: unknown;
}

const CASES: ProviderCase[] = [
  {
    id: 'oai',
    wire: openaiWire,
    provider: { kind: 'openai', credential: { env: 'OAI_KEY' } },
    upstreamModel: 'gpt-e2e',
    price: { input: 0.15, output: 0.6, cachedInput: 0.075 },
    usage: {
      prompt_tokens: 1234,
      completion_tokens: 56,
      total_tokens: 1290,
      prompt_tokens_details: { cached_tokens: 1024 },
      completion_tokens_details: { reasoning_tokens: 0 },
    },
    counts: { prompt: 1234, uncached: 210, cacheRead: 1024, cacheWrite: 0, output: 56 },
    // 210 × 0.15 + 1024 × 0.075 + 56 × 0.6 (USD per M) = 31 500 + 76 800 + 33 600 nano-USD
    costNano: 141_900,
    image: (b) => b.messages[1].content[1],
    expectedImage: { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } },
  },
  {
    id: 'ant',
    wire: anthropicWire,
    provider: { kind: 'anthropic', credential: { env: 'ANT_KEY' } },
    upstreamModel: 'claude-e2e',
    price: { input: 0.8, output: 4, cachedInput: 0.08, cacheWrite: 1 },
    usage: { input_tokens: 472, cache_creation_input_tokens: 300, cache_read_input_tokens: 1800, output_tokens: 89 },
    counts: { prompt: 2572, uncached: 472, cacheRead: 1800, cacheWrite: 300, output: 89 },
    // 472 × 0.8 + 1800 × 0.08 + 300 × 1 + 89 × 4 = 377 600 + 144 000 + 300 000 + 356 000 nano-USD
    costNano: 1_177_600,
    image: (b) => b.messages[0].content[1],
    expectedImage: { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } },
  },
  {
    id: 'bed',
    wire: bedrockWire,
    provider: { kind: 'bedrock', region: 'us-west-2' },
    upstreamModel: 'us.anthropic.claude-e2e-v1:0',
    price: { input: 0.8, output: 4, cachedInput: 0.08, cacheWrite: 1 },
    usage: { inputTokens: 472, outputTokens: 89, totalTokens: 2661, cacheReadInputTokens: 1800, cacheWriteInputTokens: 300 },
    counts: { prompt: 2572, uncached: 472, cacheRead: 1800, cacheWrite: 300, output: 89 },
    costNano: 1_177_600,
    image: (b) => b.messages[0].content[1],
    expectedImage: { image: { format: 'png', source: { bytes: PNG } } },
  },
  {
    id: 'gem',
    wire: geminiWire,
    provider: { kind: 'gemini', credential: { env: 'GEM_KEY' } },
    upstreamModel: 'gemini-e2e',
    // Prices with a fraction of a nano-USD per token, so the exact cost has a fractional nano-USD.
    price: { input: 0.100003, output: 0.400007, cachedInput: 0.025001 },
    // promptTokenCount includes the cached tokens; thinking tokens are billed as output.
    usage: {
      promptTokenCount: 2272,
      candidatesTokenCount: 24,
      thoughtsTokenCount: 65,
      cachedContentTokenCount: 1800,
      totalTokenCount: 2361,
    },
    counts: { prompt: 2272, uncached: 472, cacheRead: 1800, cacheWrite: 0, output: 89 },
    // In pico-USD: 472 × 100 003 + 1800 × 25 001 + 89 × 400 007 = 127 803 839, i.e. 127 803.839 nano-USD,
    // rounded up once to 127 804 (rounding down gives 127 803; rounding each part up gives 127 805).
    costNano: 127_804,
    image: (b) => b.contents[0].parts[1],
    expectedImage: { inlineData: { mimeType: 'image/png', data: PNG } },
  },
];

const TOOLS: OpenAI.ChatCompletionTool[] = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'Current weather for a city',
      parameters: {
        type: 'object',
        properties: { city: { type: 'string' }, unit: { type: 'string' }, note: { type: 'string' } },
        required: ['city'],
      },
    },
  },
];
// Long enough that the upstreams' reported prompt tokens are within the prompt's upper bound (usage-bounds.ts).
const SYSTEM = { role: 'system' as const, content: `You are terse. ${'Some context. '.repeat(200)}` };

interface Scenario {
  name: string;
  params: Pick<OpenAI.ChatCompletionCreateParamsNonStreaming, 'messages' | 'tools'>;
  expected: { content: string; tool?: { name: string; arguments: string }; finish: string };
}

const TEXT_REPLY = { content: SCRIPT.text.join(''), finish: 'stop' };
const SCENARIOS: Scenario[] = [
  { name: 'text', params: { messages: [SYSTEM, { role: 'user', content: 'What is the answer?' }] }, expected: TEXT_REPLY },
  {
    name: 'tools',
    params: { messages: [SYSTEM, { role: 'user', content: 'Weather in Zürich?' }], tools: TOOLS },
    expected: { content: '', tool: { name: 'get_weather', arguments: SCRIPT.toolArgs }, finish: 'tool_calls' },
  },
  {
    name: 'image',
    params: {
      messages: [
        SYSTEM,
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is in this picture?' },
            { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } },
          ],
        },
      ],
    },
    expected: TEXT_REPLY,
  },
];

let router: TestRouter;
let client: OpenAI;
const upstreams: Record<string, Upstream> = {};
const savedEnv = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };

beforeAll(async () => {
  for (const c of CASES) upstreams[c.id] = await scriptedUpstream(c.wire, c.usage);
  const baseUrl = (c: ProviderCase) =>
    ({ oai: `${upstreams.oai!.url}/v1`, ant: `${upstreams.ant!.url}/v1`, bed: upstreams.bed!.url, gem: `${upstreams.gem!.url}/v1beta` })[
      c.id
    ];
  const raw = rawDefaultConfig();
  raw.providers = [
    raw.providers.find((p: { id: string }) => p.id === 'mock'),
    ...CASES.map((c) => ({ id: c.id, ...c.provider, baseUrl: baseUrl(c), jurisdiction: 'US', timeoutMs: 10_000 })),
  ];
  raw.models = [
    ...raw.models.filter((m: { id: string }) => m.id.startsWith('mock/')),
    {
      id: MODEL,
      capabilities: { tools: true, vision: true },
      contextWindow: 200_000,
      maxOutput: 8192,
      offers: CASES.map((c) => ({ provider: c.id, upstreamModel: c.upstreamModel, price: c.price })),
    },
  ];
  // Bedrock signs with the default AWS credential chain, which reads the process environment.
  const aws = { AWS_ACCESS_KEY_ID: 'AKIDTEST', AWS_SECRET_ACCESS_KEY: 'test-secret' };
  Object.assign(process.env, aws);
  router = await startTestRouter(raw, { OAI_KEY: 'sk-oai-test', ANT_KEY: 'sk-ant-test', GEM_KEY: 'AIza-test', ...aws });
  client = router.client(await router.createKey(account));
});

afterAll(async () => {
  await router?.stop();
  await Promise.all(Object.values(upstreams).map((u) => u.close()));
  for (const [k, v] of [
    ['AWS_ACCESS_KEY_ID', savedEnv.id],
    ['AWS_SECRET_ACCESS_KEY', savedEnv.secret],
  ] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

interface Result {
  requestId: string;
  content: string;
  tool?: { name: string; arguments: string };
  finish: string | null;
  usage: (OpenAI.CompletionUsage & { cost?: number }) | undefined;
}

async function buffered(c: ProviderCase, s: Scenario): Promise<Result> {
  const body = { model: MODEL, ...s.params, provider: { only: [c.id] } } as OpenAI.ChatCompletionCreateParamsNonStreaming;
  const { data, response } = await client.chat.completions.create(body).withResponse();
  expect(response.headers.get('x-ctr-provider')).toBe(c.id);
  const choice = data.choices[0]!;
  const call = choice.message.tool_calls?.[0];
  return {
    requestId: response.headers.get('x-request-id')!,
    content: choice.message.content ?? '',
    tool: call?.type === 'function' ? { name: call.function.name, arguments: call.function.arguments } : undefined,
    finish: choice.finish_reason,
    usage: data.usage,
  };
}

async function streamed(c: ProviderCase, s: Scenario): Promise<Result> {
  const body = {
    model: MODEL,
    ...s.params,
    provider: { only: [c.id] },
    stream: true,
    stream_options: { include_usage: true },
  } as OpenAI.ChatCompletionCreateParamsStreaming;
  const stream = await client.chat.completions.create(body);
  const out: Result = { requestId: '', content: '', finish: null, usage: undefined };
  for await (const chunk of stream) {
    out.requestId = chunk.id.replace(/^chatcmpl-/, '');
    const choice = chunk.choices[0];
    out.content += choice?.delta.content ?? '';
    for (const t of choice?.delta.tool_calls ?? []) {
      out.tool ??= { name: '', arguments: '' };
      out.tool.name += t.function?.name ?? '';
      out.tool.arguments += t.function?.arguments ?? '';
    }
    out.finish = choice?.finish_reason ?? out.finish;
    out.usage = chunk.usage ?? out.usage;
  }
  return out;
}

describe('worked costs', () => {
  // The product's price function, given the prices and the counts this test chose, against the cost worked out by hand.
  it.each(CASES)('$id: the product prices the chosen usage at the hand-worked cost', (c) => {
    const usage = {
      promptTokens: c.counts.prompt,
      completionTokens: c.counts.output,
      cachedReadTokens: c.counts.cacheRead,
      cacheWriteTokens: c.counts.cacheWrite,
      reasoningTokens: 0,
    };
    expect(costNanoUsd(usage, offerPrice(c.price))).toBe(c.costNano);
  });
});

describe.each(CASES)('$id adapter, end to end through the router', (c) => {
  it.each(SCENARIOS)('$name: same OpenAI-format result and exact, equal cost, streamed and buffered', async (s) => {
    const b = await buffered(c, s);
    const st = await streamed(c, s);

    for (const r of [b, st]) {
      expect(r.content).toBe(s.expected.content);
      expect(r.tool).toEqual(s.expected.tool);
      expect(r.finish).toBe(s.expected.finish);
      expect(r.usage).toMatchObject({
        prompt_tokens: c.counts.prompt,
        completion_tokens: c.counts.output,
        prompt_tokens_details: { cached_tokens: c.counts.cacheRead, cache_write_tokens: c.counts.cacheWrite },
        cost: nanoToUsd(c.costNano),
      });
    }

    const records = [await usageEventFor(router, account, b.requestId), await usageEventFor(router, account, st.requestId)];
    for (const [i, ev] of records.entries()) {
      expect(ev).toMatchObject({
        provider: c.id,
        servedModel: MODEL,
        upstreamModel: c.upstreamModel,
        stream: i === 1,
        promptTokens: c.counts.prompt,
        completionTokens: c.counts.output,
        cachedReadTokens: c.counts.cacheRead,
        cacheWriteTokens: c.counts.cacheWrite,
        costNanoUsd: c.costNano,
        status: 'ok',
        usageSource: 'upstream',
        attempts: 1,
      });
    }
    expect(records[1]!.costNanoUsd).toBe(records[0]!.costNanoUsd);

    if (s.name === 'image') {
      const sent = upstreams[c.id]!.recorded.slice(-2);
      for (const r of sent) expect(c.image(r.body)).toEqual(c.expectedImage);
    }
  });
});

describe('upstream credentials', () => {
  it('each adapter authenticated the way its provider expects', () => {
    const last = (id: string) => upstreams[id]!.recorded.at(-1)!.headers;
    expect(last('oai').authorization).toBe('Bearer sk-oai-test');
    expect(last('ant')['x-api-key']).toBe('sk-ant-test');
    expect(last('gem')['x-goog-api-key']).toBe('AIza-test');
    expect(String(last('bed').authorization)).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDTEST\/\d{8}\/us-west-2\/bedrock\/aws4_request/);
  });
});
