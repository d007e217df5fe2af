/**
 * GET /v1/models: OpenAI's list shape, plus each model's capabilities and offers with prices,
 * price source and availability. By default only models this deployment can serve are listed;
 * `?all=true` lists every model, each unusable offer with the reason.
 */
import type { Catalog, Offer } from './catalog';
import type { OfferConfig } from './config';
import type { OfferHealthView } from './health';
import { isAggregator } from './jurisdiction';

/** What decides whether an offer can be used at all, whatever the request. */
export interface Availability {
  /** Provider ids with a credential present (or needing none). */
  usableProviders: ReadonlySet<string>;
  allowedJurisdictions?: readonly string[];
  allowedOfferRegions?: readonly string[];
}

/**
 * Why an offer cannot be used in this deployment, or undefined if it can.
 *
 * @example
 * unavailableReason(offer, { usableProviders: new Set() }) // 'no credential: set GROQ_API_KEY (provider groq)'
 */
export function unavailableReason(offer: Offer, av: Availability): string | undefined {
  const p = offer.provider;
  if (!av.usableProviders.has(p.id)) {
    if (p.kind === 'bedrock')
      return `no AWS credentials for provider ${p.id} (Bedrock signs with IAM: a Lambda role, AWS_PROFILE or keys, or CTR_BEDROCK=1)`;
    return `no credential: ${p.credential ? `set ${p.credential.env} (provider ${p.id})` : `provider ${p.id}`}`;
  }
  if (av.allowedJurisdictions && !(offer.jurisdiction && av.allowedJurisdictions.includes(offer.jurisdiction)))
    return offer.jurisdiction
      ? `${offer.id} processes data in ${offer.jurisdiction}, outside the allowed jurisdictions`
      : `${offer.id} has no known jurisdiction (${isAggregator(p) ? `provider ${p.id} routes on to hosts of its choosing` : `provider ${p.id} declares none`}), so it is not used under allowedJurisdictions`;
  if (av.allowedOfferRegions && !av.allowedOfferRegions.includes(offer.config.region ?? ''))
    return `${offer.id} is not served from an allowed region`;
  return undefined;
}

type Rate = OfferConfig['price']['input'];
const base = (r: Rate) => (typeof r === 'number' ? r : r.base);
const tiers = (name: string, r: Rate | undefined) =>
  r !== undefined && typeof r !== 'number' ? r.tiers.map((t) => ({ price: name, above_prompt_tokens: t.start, usd: t.price })) : [];

function pricing(o: Offer) {
  const p = o.config.price;
  return {
    currency: 'USD',
    unit: 'per_million_tokens',
    input: base(p.input),
    output: base(p.output),
    cached_input: base(p.cachedInput ?? p.input),
    cache_write: base(p.cacheWrite ?? p.input),
    ...(p.reasoning !== undefined ? { reasoning: base(p.reasoning) } : {}),
    ...(p.perThousandRequests !== undefined ? { per_thousand_requests: p.perThousandRequests } : {}),
    /** Above a prompt size the whole request is priced at the tier's rate. */
    tiers: [
      ...tiers('input', p.input),
      ...tiers('output', p.output),
      ...tiers('cached_input', p.cachedInput),
      ...tiers('cache_write', p.cacheWrite),
      ...tiers('reasoning', p.reasoning),
    ],
  };
}

/**
 * The model list. `usable` is the set of usable providers (older callers) or the full availability.
 * With `all`, models without a usable offer are listed too, each offer with why it is unusable.
 */
export function listModels(
  catalog: Catalog,
  usable: ReadonlySet<string> | Availability,
  options: { all?: boolean; health?: { view(offerId: string): OfferHealthView } } = {},
  created = 1_735_689_600,
) {
  const av: Availability = usable instanceof Set ? { usableProviders: usable } : (usable as Availability);
  const data = [];
  for (const m of catalog.models.values()) {
    const offers = m.offers.map((o) => ({ offer: o, unavailable: unavailableReason(o, av) }));
    const available = offers.some((o) => !o.unavailable);
    if (!available && !options.all) continue;
    data.push({
      id: m.id,
      object: 'model' as const,
      created,
      owned_by: m.id.includes('/') ? m.id.split('/')[0] : 'cheap-token-router',
      name: m.config.name ?? m.id,
      type: m.config.kind,
      available,
      context_length: m.config.contextWindow,
      max_output_tokens: m.config.maxOutput,
      capabilities: m.config.capabilities,
      offers: offers.map(({ offer: o, unavailable }) => ({
        id: o.id,
        provider: o.provider.id,
        upstream_model: o.upstreamModel,
        available: !unavailable,
        ...(unavailable ? { unavailable_reason: unavailable } : {}),
        region: o.config.region ?? null,
        jurisdiction: o.jurisdiction ?? null,
        capabilities: o.capabilities,
        context_length: o.contextWindow,
        max_output_tokens: o.maxOutput,
        pricing: pricing(o),
        price_source: o.config.source
          ? {
              kind: o.config.source.kind,
              name: o.config.source.name ?? null,
              as_of: o.config.source.asOf ?? null,
              note: o.config.source.note ?? null,
            }
          : null,
        // Learned from real outcomes in this region: ok / degraded / benched, with the measured figures.
        ...(options.health && !unavailable ? { health: options.health.view(o.id) } : {}),
      })),
    });
  }
  return { object: 'list' as const, data };
}
