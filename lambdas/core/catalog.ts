/**
 * The catalog: models, their offers and integer prices, built once from the router config.
 */
import { KIND_CAPABILITIES } from '../domain/provider';
import type { Capabilities, ModelConfig, OfferConfig, ProviderConfig, RouterConfig } from './config';
import { type OfferPrice, offerPrice } from './pricing';

export interface Offer {
  /** `provider/upstreamModel`: how a client pins this offer. */
  readonly id: string;
  readonly model: CatalogModel;
  readonly provider: ProviderConfig;
  readonly upstreamModel: string;
  readonly price: OfferPrice;
  readonly config: OfferConfig;
  readonly contextWindow: number;
  readonly maxOutput: number;
  /** The model's capabilities that this offer's provider kind can also express. */
  readonly capabilities: Capabilities;
}

export interface CatalogModel {
  readonly id: string;
  readonly config: ModelConfig;
  readonly offers: readonly Offer[];
}

function intersect(a: Capabilities, b: Capabilities): Capabilities {
  return {
    tools: a.tools && b.tools,
    vision: a.vision && b.vision,
    jsonMode: a.jsonMode && b.jsonMode,
    structuredOutput: a.structuredOutput && b.structuredOutput,
  };
}

export class Catalog {
  readonly models: ReadonlyMap<string, CatalogModel>;
  readonly providers: ReadonlyMap<string, ProviderConfig>;

  constructor(readonly config: RouterConfig) {
    this.providers = new Map(config.providers.map((p) => [p.id, p]));
    const models = new Map<string, CatalogModel>();
    for (const m of config.models) {
      const offers: Offer[] = [];
      const model: CatalogModel = { id: m.id, config: m, offers };
      for (const o of m.offers) {
        offers.push({
          id: `${o.provider}/${o.upstreamModel}`,
          model,
          provider: this.providers.get(o.provider)!,
          upstreamModel: o.upstreamModel,
          price: offerPrice(o.price),
          config: o,
          contextWindow: o.contextWindow ?? m.contextWindow,
          maxOutput: o.maxOutput ?? m.maxOutput,
          capabilities: intersect(m.capabilities, KIND_CAPABILITIES[this.providers.get(o.provider)!.kind]),
        });
      }
      models.set(m.id, model);
    }
    this.models = models;
  }

  /** Every offer of every model. */
  *offers(): Iterable<Offer> {
    for (const m of this.models.values()) yield* m.offers;
  }
}
