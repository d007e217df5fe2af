/**
 * The catalog: models, their offers and integer prices, built from the router config once per
 * process (each model's offers when they are first read).
 */

import { KIND_CAPABILITIES } from '../domain/provider';
import type { Capabilities, ModelConfig, OfferConfig, ProviderConfig, RouterConfig } from './config';
import { inlinedModels } from './config-inline';
import { offerJurisdiction } from './jurisdiction';
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
  /** Where this offer processes data (core/jurisdiction.ts); undefined when it cannot be known. */
  readonly jurisdiction: string | undefined;
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

/** A model of the catalog; its config (when inlined, see `inlinedModels`) and its offers are built when first read. */
class Model implements CatalogModel {
  readonly #configOf: () => ModelConfig;
  readonly #providerOf: (id: string) => ProviderConfig;
  #config: ModelConfig | undefined;
  #offers: readonly Offer[] | undefined;

  constructor(
    readonly id: string,
    configOf: () => ModelConfig,
    providerOf: (id: string) => ProviderConfig,
  ) {
    this.#configOf = configOf;
    this.#providerOf = providerOf;
  }

  get config(): ModelConfig {
    this.#config ??= this.#configOf();
    return this.#config;
  }

  /**
   * Built on first use: a request reads the offers of the models it names, not those of the
   * whole catalog (about 300 models), so a cold start does not price every offer.
   */
  get offers(): readonly Offer[] {
    const m = this.config;
    this.#offers ??= m.offers.map((o) => {
      const provider = this.#providerOf(o.provider);
      return {
        id: `${o.provider}/${o.upstreamModel}`,
        model: this,
        provider,
        upstreamModel: o.upstreamModel,
        price: offerPrice(o.price),
        config: o,
        contextWindow: o.contextWindow ?? m.contextWindow,
        maxOutput: o.maxOutput ?? m.maxOutput,
        capabilities: intersect(m.capabilities, KIND_CAPABILITIES[provider.kind]),
        jurisdiction: offerJurisdiction(provider, o.upstreamModel),
      };
    });
    return this.#offers;
  }
}

export class Catalog {
  readonly models: ReadonlyMap<string, CatalogModel>;
  readonly providers: ReadonlyMap<string, ProviderConfig>;

  constructor(readonly config: RouterConfig) {
    const providers = new Map(config.providers.map((p) => [p.id, p]));
    this.providers = providers;
    const providerOf = (id: string) => providers.get(id)!;
    // An inlined config's models are parsed when the catalog first reads them (config-inline.ts).
    const inlined = inlinedModels(config);
    this.models = inlined
      ? new Map(inlined.ids.map((id, i) => [id, new Model(id, () => inlined.model(i), providerOf)]))
      : new Map(config.models.map((m) => [m.id, new Model(m.id, () => m, providerOf)]));
  }

  /** Every offer of every model. */
  *offers(): Iterable<Offer> {
    for (const m of this.models.values()) yield* m.offers;
  }
}
