/**
 * The parameter rule in routing, in-process: a parameter that only some provider kinds take is
 * routed to those kinds' offers only; with no such offer left the 400 names it (`param`, message,
 * code `unsupported_parameter`). Parameters at their no-op value ask for nothing. Every field of the
 * official SDK's chat request type is in the request schema, so none is stripped on the way in.
 * Forwarding over a real socket: test/integration/parameters.test.ts.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Catalog } from '../../lambdas/core/catalog';
import { parseConfig } from '../../lambdas/core/config';
import { chatNeeds, planRoute, type RoutingContext } from '../../lambdas/core/routing';
import { type KindLimitedParameter, PARAMETER_SUPPORT, parametersUsed } from '../../lambdas/domain/chat-params';
import { type ChatRequest, chatRequestSchema, REASONING_EFFORTS, validate } from '../../lambdas/domain/chat-request';
import type { RouterError } from '../../lambdas/domain/errors';
import { httpErrorOf } from '../../lambdas/handlers/http-errors';
import { threeProviderConfig } from '../helpers/config';
import { PARAMETER_SAMPLES, REFUSED_EVERYWHERE, SAMPLE_CONTEXT, usingParameter } from '../helpers/parameter-samples';

/** The three OpenAI-kind providers, a Bedrock one (it takes none of the table's parameters), a model only it serves and one both serve (Bedrock cheaper). */
function mixedConfig() {
  const raw = threeProviderConfig({ cheap: 'http://127.0.0.1:1', mid: 'http://127.0.0.1:2', dear: 'http://127.0.0.1:3' });
  raw.providers.push({ id: 'bed', kind: 'bedrock', region: 'us-east-1', timeoutMs: 5000 });
  const offer = (provider: string, input: number) => ({ provider, upstreamModel: `${provider}-model`, price: { input, output: input } });
  raw.models.push(
    { id: 'acme/bedrock-only', capabilities: { tools: true }, contextWindow: 100_000, maxOutput: 4096, offers: [offer('bed', 1)] },
    {
      id: 'acme/both',
      capabilities: { tools: true },
      contextWindow: 100_000,
      maxOutput: 4096,
      offers: [offer('bed', 0.1), offer('dear', 5)],
    },
  );
  return raw;
}

const ctx: RoutingContext = {
  catalog: new Catalog(parseConfig(mixedConfig())),
  usableProviders: new Set(['mock', 'cheap', 'mid', 'dear', 'bed']),
};

const chat = (over: Record<string, unknown>): ChatRequest =>
  validate(chatRequestSchema, { model: 'acme/both', messages: [{ role: 'user', content: 'Hello there' }], ...over });

const plan = (r: ChatRequest) => planRoute(r, chatNeeds(r), ctx).map((c) => c.offer.provider.id);

function refusal(r: ChatRequest): RouterError {
  try {
    plan(r);
  } catch (e) {
    return e as RouterError;
  }
  throw new Error('expected a refusal');
}

const PARAMS = Object.keys(PARAMETER_SUPPORT) as KindLimitedParameter[];
const FORWARDED = PARAMS.filter((p) => !REFUSED_EVERYWHERE.includes(p));

describe('kind-limited parameters in routing', () => {
  it('has a sample for every parameter of the table', () => {
    expect(Object.keys(PARAMETER_SAMPLES).sort()).toEqual([...PARAMS].sort());
  });

  it.each(FORWARDED)('%s sent to a model only a Bedrock offer serves is a 400 naming it', (param) => {
    // Prepare
    const request = chat({ model: 'acme/bedrock-only', ...usingParameter(param) });

    // Act
    const err = refusal(request);

    // Assess
    const body = JSON.parse(httpErrorOf(err).body).error;
    expect(httpErrorOf(err).status).toBe(400);
    expect(body).toMatchObject({ type: 'invalid_request_error', param, code: 'unsupported_parameter' });
    expect(body.message).toContain(`does not support ${param}`);
  });

  it.each(FORWARDED)('%s skips the cheaper Bedrock offer for the OpenAI-kind one', (param) => {
    // Prepare
    const without = chat({ ...SAMPLE_CONTEXT[param] });
    const withParam = chat(usingParameter(param));

    // Act / Assess
    expect(plan(without)).toEqual(['bed', 'dear']);
    expect(plan(withParam)).toEqual(['dear']);
  });

  it.each(REFUSED_EVERYWHERE)('%s is refused for every offer, with the reason', (param) => {
    // Act
    const err = refusal(chat({ model: 'acme/llama-test', ...usingParameter(param) }));

    // Assess
    const body = JSON.parse(httpErrorOf(err).body).error;
    expect(body).toMatchObject({ param, code: 'unsupported_parameter' });
    expect(body.message).toMatch(new RegExp(`^No provider can serve this request: ${param}: `));
  });

  it.each([
    ['logprobs', false],
    ['n', 1],
    ['store', false],
    ['service_tier', 'auto'],
    ['modalities', ['text']],
    ['functions', []],
    ['reasoning_effort', null],
  ])('%s = %j asks for nothing', (param, value) => {
    expect(parametersUsed(chat({ [param]: value }))).toEqual([]);
    expect(plan(chat({ [param]: value }))).toEqual(['bed', 'dear']);
  });

  it.each(REASONING_EFFORTS)('accepts reasoning_effort %s', (effort) => {
    expect(chat({ reasoning_effort: effort }).reasoning_effort).toBe(effort);
  });
});

describe('docs/PROVIDERS.md', () => {
  it('lists every parameter of the table with the kinds that forward it', () => {
    // Prepare
    const all = readFileSync(new URL('../../docs/PROVIDERS.md', import.meta.url), 'utf8');
    const start = all.indexOf('## Parameters only some kinds take');
    const doc = all.slice(start, all.indexOf('\n## ', start + 1));
    const rows = [...doc.matchAll(/^\| `([a-z_]+)` +\| ([a-z, ]+?) +\|/gm)].map((m) => [m[1]!, m[2]!.trim()] as const);

    // Assess
    const expected = PARAMS.map((p) => [p, (PARAMETER_SUPPORT[p].kinds as readonly string[]).join(', ') || 'none'] as const);
    expect(Object.fromEntries(rows)).toEqual(Object.fromEntries(expected));
  });
});

describe('the official SDK’s chat request type', () => {
  it('has every field in the request schema, so none is stripped on the way in', () => {
    // Prepare: the fields of ChatCompletionCreateParamsBase, from the installed openai package's types.
    const dts = readFileSync(new URL('../../node_modules/openai/resources/chat/completions/completions.d.ts', import.meta.url), 'utf8');
    const start = dts.indexOf('export interface ChatCompletionCreateParamsBase');
    const body = dts.slice(start, dts.indexOf('\n}', start));
    const fields = [...body.matchAll(/^ {4}([a-z_]+)\??:/gm)].map((m) => m[1]!);

    // Assess
    expect(fields.length).toBeGreaterThan(30);
    const shape = Object.keys(chatRequestSchema().def.shape ?? {});
    expect(fields.filter((f) => !shape.includes(f))).toEqual([]);
  });
});
