/** GET /v1/models: OpenAI's list shape, plus each model's capabilities and offers with prices. */
import type { Catalog } from './catalog';

/** Prices in USD per million tokens, as configured. */
export function listModels(catalog: Catalog, usableProviders: ReadonlySet<string>, created = 1_735_689_600) {
  return {
    object: 'list' as const,
    data: [...catalog.models.values()].map((m) => ({
      id: m.id,
      object: 'model' as const,
      created,
      owned_by: m.id.includes('/') ? m.id.split('/')[0] : 'cheap-token-router',
      name: m.config.name ?? m.id,
      type: m.config.kind,
      context_length: m.config.contextWindow,
      max_output_tokens: m.config.maxOutput,
      capabilities: m.config.capabilities,
      offers: m.offers.map((o) => ({
        id: o.id,
        provider: o.provider.id,
        upstream_model: o.upstreamModel,
        available: usableProviders.has(o.provider.id),
        region: o.config.region ?? null,
        capabilities: o.capabilities,
        context_length: o.contextWindow,
        max_output_tokens: o.maxOutput,
        pricing: {
          currency: 'USD',
          unit: 'per_million_tokens',
          input: o.config.price.input,
          output: o.config.price.output,
          cached_input: o.config.price.cachedInput ?? o.config.price.input,
          cache_write: o.config.price.cacheWrite ?? o.config.price.input,
        },
      })),
    })),
  };
}
