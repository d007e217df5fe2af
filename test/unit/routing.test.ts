import { describe, expect, it } from 'vitest';
import { Catalog } from '../../lambdas/core/catalog';
import { parseConfig } from '../../lambdas/core/config';
import { chatNeeds, planRoute, type RoutingContext, resolveModelSpec } from '../../lambdas/core/routing';
import type { ChatRequest } from '../../lambdas/domain/chat-request';
import type { RouterError } from '../../lambdas/domain/errors';
import { threeProviderConfig } from '../helpers/config';
import { asHttp } from '../helpers/http-error';

const catalog = new Catalog(
  parseConfig(threeProviderConfig({ cheap: 'http://127.0.0.1:1', mid: 'http://127.0.0.1:2', dear: 'http://127.0.0.1:3' })),
);
const ctx = (over: Partial<RoutingContext> = {}): RoutingContext => ({
  catalog,
  usableProviders: new Set(['mock', 'cheap', 'mid', 'dear']),
  ...over,
});
const req = (over: Partial<ChatRequest> = {}): ChatRequest => ({
  model: 'acme/llama-test',
  messages: [{ role: 'user', content: 'Hello there' }],
  ...over,
});
const providers = (r: ChatRequest, c = ctx()) => planRoute(r, chatNeeds(r), c).map((x) => x.offer.provider.id);

function errorOf(fn: () => unknown): RouterError {
  try {
    fn();
  } catch (e) {
    return e as RouterError;
  }
  throw new Error('expected an error');
}

describe('routing: ordering', () => {
  it('orders a catalog model by estimated request cost, cheapest first', () => {
    expect(providers(req())).toEqual(['cheap', 'mid', 'dear']);
  });

  it('ranks by the cost of this request, not list input price alone', () => {
    // A model whose offers trade input price against output price.
    const raw = threeProviderConfig({ cheap: 'http://127.0.0.1:1', mid: 'http://127.0.0.1:2', dear: 'http://127.0.0.1:3' });
    raw.models.push({
      id: 'acme/tradeoff',
      contextWindow: 100000,
      maxOutput: 8000,
      offers: [
        { provider: 'cheap', upstreamModel: 'a', price: { input: 0.1, output: 10 } },
        { provider: 'mid', upstreamModel: 'b', price: { input: 1, output: 1 } },
      ],
    });
    const c = ctx({ catalog: new Catalog(parseConfig(raw)) });
    const longPrompt = req({ model: 'acme/tradeoff', messages: [{ role: 'user', content: 'x'.repeat(60_000) }], max_tokens: 10 });
    const longAnswer = req({ model: 'acme/tradeoff', max_tokens: 4000 });
    expect(providers(longPrompt, c)[0]).toBe('cheap');
    expect(providers(longAnswer, c)[0]).toBe('mid');
  });

  it('honours sort=latency and sort=throughput, and the :nitro / :floor suffixes', () => {
    expect(providers(req({ provider: { sort: 'latency' } }))).toEqual(['mid', 'dear', 'cheap']);
    expect(providers(req({ provider: { sort: 'throughput' } }))).toEqual(['mid', 'dear', 'cheap']);
    expect(providers(req({ model: 'acme/llama-test:nitro' }))).toEqual(['mid', 'dear', 'cheap']);
    expect(providers(req({ model: 'acme/llama-test:floor', provider: { sort: 'latency' } }))).toEqual(['cheap', 'mid', 'dear']);
  });

  it('puts provider.order first, then the rest by price', () => {
    expect(providers(req({ provider: { order: ['dear'] } }))).toEqual(['dear', 'cheap', 'mid']);
  });

  it('with allow_fallbacks=false uses only the ordered providers, or only the best one', () => {
    expect(providers(req({ provider: { order: ['dear', 'mid'], allow_fallbacks: false } }))).toEqual(['dear', 'mid']);
    expect(providers(req({ provider: { allow_fallbacks: false } }))).toEqual(['cheap']);
  });

  it('says why when provider.order matches no offer and allow_fallbacks is false', () => {
    // Act
    const err = errorOf(() => providers(req({ provider: { order: ['nowhere'], allow_fallbacks: false } })));

    // Assess
    expect(asHttp(err).status).toBe(400);
    expect(err.message).toBe(
      'No provider can serve this request: provider cheap is not in provider.order and provider.allow_fallbacks is false; ' +
        'provider mid is not in provider.order and provider.allow_fallbacks is false; ' +
        'provider dear is not in provider.order and provider.allow_fallbacks is false.',
    );
  });

  it('appends the models fallback list after the primary model, without repeats', () => {
    const route = planRoute(req({ models: ['mock/echo-small', 'acme/llama-test'] }), chatNeeds(req()), ctx());
    expect(route.map((r) => r.offer.id)).toEqual(['cheap/llama-cheap', 'mid/llama-mid', 'dear/llama-dear', 'mock/mock-small']);
    expect(route[3]!.model.id).toBe('mock/echo-small');
  });
});

describe('routing: pinning and filters', () => {
  it('pins provider/upstream-model and provider/catalog-model', () => {
    expect(resolveModelSpec(catalog, 'dear/llama-dear')?.pinned?.id).toBe('dear/llama-dear');
    expect(resolveModelSpec(catalog, 'mid/acme/llama-test')?.pinned?.id).toBe('mid/llama-mid');
    expect(providers(req({ model: 'dear/llama-dear' }))).toEqual(['dear']);
  });

  it('a catalog id wins over a provider prefix', () => {
    expect(resolveModelSpec(catalog, 'mock/echo-small')?.pinned).toBeUndefined();
  });

  it('applies only / ignore / data_collection / jurisdiction / usable providers', () => {
    expect(providers(req({ provider: { only: ['mid', 'dear'] } }))).toEqual(['mid', 'dear']);
    expect(providers(req({ provider: { ignore: ['cheap'] } }))).toEqual(['mid', 'dear']);
    expect(providers(req(), ctx({ allowedJurisdictions: ['EU'] }))).toEqual(['mid']);
    expect(providers(req(), ctx({ usableProviders: new Set(['dear']) }))).toEqual(['dear']);
  });

  it('never routes to an offer outside the allowed regions', () => {
    const raw = threeProviderConfig({ cheap: 'http://127.0.0.1:1', mid: 'http://127.0.0.1:2', dear: 'http://127.0.0.1:3' });
    const llama = raw.models.find((m: { id: string }) => m.id === 'acme/llama-test');
    llama.offers[0].region = 'eu-west-1'; // mid
    llama.offers[1].region = 'us-east-1'; // cheap
    const c = ctx({ catalog: new Catalog(parseConfig(raw)), allowedOfferRegions: ['eu-west-1', 'eu-central-1'] });
    expect(providers(req(), c)).toEqual(['mid']);
    // Neither a pin nor a fallback list can reach an offer outside the set.
    expect(errorOf(() => providers(req({ model: 'cheap/llama-cheap' }), c)).message).toMatch(/not served from an allowed region/);
    expect(providers(req({ model: 'dear/llama-dear', models: ['acme/llama-test'] }), c)).toEqual(['mid']);
    expect(providers(req({ provider: { order: ['cheap', 'dear'] } }), c)).toEqual(['mid']);
  });

  it('rejects a config that stores data outside its storage regions', () => {
    const raw = threeProviderConfig({ cheap: 'http://127.0.0.1:1', mid: 'http://127.0.0.1:2', dear: 'http://127.0.0.1:3' });
    raw.storageRegions = ['us-east-1'];
    raw.replicaRegions = ['eu-west-1'];
    expect(() => parseConfig(raw)).toThrow(/replicaRegions\.0: replica region eu-west-1 is not in storageRegions/);
  });

  it('excludes offers whose context window cannot hold prompt + requested output', () => {
    const big = req({ messages: [{ role: 'user', content: 'y'.repeat(24_000) }], max_tokens: 1000 });
    // ~8000 prompt tokens + 1000 output > 8192 for cheap and mid; dear overrides the window to 128k.
    expect(providers(big)).toEqual(['dear']);
  });

  it('excludes offers without a needed capability and says why when none is left', () => {
    const vision = req({
      messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }] }],
    });
    const err = errorOf(() => providers(vision));
    expect(asHttp(err).status).toBe(400);
    expect(err.code).toBe('no_eligible_offer');
    expect(err.message).toMatch(/does not accept images/);
    const schema = req({ response_format: { type: 'json_schema', json_schema: { name: 'x', schema: {} } } });
    expect(errorOf(() => providers(schema)).message).toMatch(/does not support response_format json_schema/);
    expect(providers(req({ model: 'mock/echo-small', messages: vision.messages }))).toEqual(['mock']);
  });

  it('never picks an offer whose provider kind cannot express a capability the request uses', () => {
    const raw = threeProviderConfig({ cheap: 'http://127.0.0.1:1', mid: 'http://127.0.0.1:2', dear: 'http://127.0.0.1:3' });
    raw.providers.push({ id: 'claude', kind: 'anthropic', credential: { env: 'ANTHROPIC_API_KEY' } });
    raw.models.push({
      id: 'acme/structured',
      capabilities: { tools: true, structuredOutput: true },
      contextWindow: 100000,
      maxOutput: 4096,
      offers: [
        { provider: 'claude', upstreamModel: 'claude-x', price: { input: 0.01, output: 0.01 } },
        { provider: 'mid', upstreamModel: 'gpt-x', price: { input: 1, output: 1 } },
      ],
    });
    const c = ctx({ catalog: new Catalog(parseConfig(raw)), usableProviders: new Set(['claude', 'mid']) });
    const schema = req({ model: 'acme/structured', response_format: { type: 'json_schema', json_schema: { name: 'x', schema: {} } } });
    expect(providers(schema, c)).toEqual(['mid']);
    expect(providers(req({ model: 'acme/structured' }), c)).toEqual(['claude', 'mid']);
  });

  it('applies max_price per token and per request', () => {
    expect(providers(req({ provider: { max_price: { prompt: 0.6 } } }))).toEqual(['cheap', 'mid']);
    expect(providers(req({ provider: { max_price: { completion: 0.5 } } }))).toEqual(['cheap']);
    // Worst case is the full 2048-token allowance: cheap ≈ $0.0008, mid ≈ $0.0016, dear ≈ $0.0018.
    expect(providers(req({ provider: { max_price: { request: 0.001 } } }))).toEqual(['cheap']);
  });

  it('returns 404 for an unknown model', () => {
    const err = errorOf(() => providers(req({ model: 'nope/nothing' })));
    expect(asHttp(err).status).toBe(404);
    expect(err.code).toBe('model_not_found');
  });

  it('reports cost estimates and a max cost that bounds them', () => {
    const [first] = planRoute(req({ max_tokens: 100 }), chatNeeds(req({ max_tokens: 100 })), ctx());
    expect(first!.maxCostNano).toBeGreaterThanOrEqual(first!.estimatedCostNano);
    expect(first!.maxOutputTokens).toBe(100);
  });
});
