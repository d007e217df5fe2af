/**
 * The catalog generator: joins the providers the operator enables (router config), the price data
 * (`@pydantic/genai-prices`, shipped inside the locked package) and the model-identity map into
 * the config's `models`. Offline and deterministic: the same inputs give the same catalog. A model
 * or offer without usable price data is reported, never priced by guess.
 */
import { calcPrice, findProvider, type ModelInfo, type ModelPrice, type Provider } from '@pydantic/genai-prices';
import type { ModelConfig, OfferConfig, ProviderConfig, RouterConfig } from '../core/config';
import { OPENAI_COMPATIBLE_PRESETS } from '../providers/presets';
import type { IdentityEntry } from './identity';

type PriceConfig = OfferConfig['price'];
type RateConfig = PriceConfig['input'];

/** What the generator could not do, for the operator to read (`ctr catalog build` prints it). */
export interface GenerateReport {
  /** Enabled providers the price data does not know: their offers need overrides. */
  unpricedProviders: string[];
  /** Identity-map offers on an enabled host without usable price data, with why. */
  missingPrices: { model: string; provider: string; upstreamModel: string; reason: string }[];
  /** Identity-map models left out: no enabled host has a price for them. */
  modelsWithoutOffers: string[];
}

export interface GenerateInput {
  providers: readonly ProviderConfig[];
  catalog: NonNullable<RouterConfig['catalog']>;
  identity: readonly IdentityEntry[];
  /** `@pydantic/genai-prices@<version>`. */
  sourceName: string;
}

/** Which price-data provider prices a router provider: explicit, else by kind, else by the API URL. */
export function priceProviderOf(p: ProviderConfig): string | undefined {
  if (p.priceProvider) return p.priceProvider;
  switch (p.kind) {
    case 'mock':
      return undefined;
    case 'anthropic':
      return 'anthropic';
    case 'bedrock':
      return 'aws';
    case 'gemini':
      return 'google';
    case 'openai': {
      const url = p.baseUrl ?? (p.preset ? OPENAI_COMPATIBLE_PRESETS[p.preset].baseUrl : undefined);
      return url ? findProvider({ providerApiUrl: url })?.id : undefined;
    }
  }
}

/**
 * The price of a model on a date, following the package's selection of date-conditional prices
 * (the last entry whose start date has passed). Time-of-day prices (off-peak discounts) are not
 * applied: the router bills the price that holds outside the discount window.
 */
export function priceOn(model: ModelInfo, asOf: Date): { prices: ModelPrice; timeOfDaySkipped: boolean } {
  if (!Array.isArray(model.prices)) return { prices: model.prices, timeOfDaySkipped: false };
  let timeOfDaySkipped = false;
  for (let i = model.prices.length - 1; i >= 0; i--) {
    const c = model.prices[i]!;
    if (!c.constraint) return { prices: c.prices, timeOfDaySkipped };
    if (c.constraint.type === 'start_date' && asOf >= new Date(c.constraint.start_date)) return { prices: c.prices, timeOfDaySkipped };
    if (c.constraint.type === 'time_of_date') timeOfDaySkipped = true;
  }
  return { prices: model.prices[0]!.prices, timeOfDaySkipped };
}

const exact = (usdPerMillion: number) => Math.abs(usdPerMillion * 1e6 - Math.round(usdPerMillion * 1e6)) < 1e-6;

function rate(v: ModelPrice[string]): RateConfig | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'number') return v;
  return { base: v.base, tiers: v.tiers.map((t) => ({ start: t.start, price: t.price })) };
}

function rateValues(r: RateConfig | undefined): number[] {
  if (r === undefined) return [];
  return typeof r === 'number' ? [r] : [r.base, ...r.tiers.map((t) => t.price)];
}

/** Maps the price data's keys onto the router's price shape, or says why it cannot. */
export function toPriceConfig(p: ModelPrice, kind: 'chat' | 'embedding'): PriceConfig | string {
  const input = rate(p.input_mtok);
  const output = rate(p.output_mtok) ?? (kind === 'embedding' ? 0 : undefined);
  if (input === undefined) return 'no input_mtok price';
  if (output === undefined) return 'no output_mtok price';
  const price: PriceConfig = { input, output };
  const cachedInput = rate(p.cache_read_mtok);
  const cacheWrite = rate(p.cache_write_mtok);
  const reasoning = rate(p.output_reasoning_mtok);
  if (cachedInput !== undefined) price.cachedInput = cachedInput;
  if (cacheWrite !== undefined) price.cacheWrite = cacheWrite;
  if (reasoning !== undefined) price.reasoning = reasoning;
  const requests = p.requests_kcount;
  if (requests !== undefined) {
    if (typeof requests !== 'number') return 'tiered per-request fee';
    price.perThousandRequests = requests;
  }
  const all = [input, output, cachedInput, cacheWrite, reasoning].flatMap(rateValues);
  if (!all.every(exact)) return 'a price with more than 6 decimals (USD per million tokens) cannot be held as integer pico-USD';
  return price;
}

/**
 * Generates the catalog's models: custom models first (as configured), then one model per identity
 * entry with at least one priced offer on an enabled provider, with overrides applied last.
 *
 * @example
 * const { models, report } = generateCatalog({ providers: config.providers, catalog: config.catalog!, identity, sourceName }, data);
 */
export function generateCatalog(input: GenerateInput, data: readonly Provider[]): { models: ModelConfig[]; report: GenerateReport } {
  const asOf = new Date(`${input.catalog.asOf}T00:00:00Z`);
  const report: GenerateReport = { unpricedProviders: [], missingPrices: [], modelsWithoutOffers: [] };
  const enabled: { provider: ProviderConfig; priceProvider: string }[] = [];
  for (const p of input.providers) {
    if (p.kind === 'mock') continue;
    const pp = priceProviderOf(p);
    if (pp && data.some((d) => d.id === pp)) enabled.push({ provider: p, priceProvider: pp });
    else report.unpricedProviders.push(p.id);
  }

  const generated: ModelConfig[] = [];
  for (const entry of input.identity) {
    const offers: OfferConfig[] = [];
    for (const { provider, priceProvider } of enabled) {
      const upstreamModel = entry.hosts[priceProvider];
      if (!upstreamModel) continue;
      // The package's own model matching (aliases, date suffixes, fallback providers).
      const found = calcPrice({ input_tokens: 0, output_tokens: 0 }, upstreamModel, { providerId: priceProvider, timestamp: asOf });
      if (!found) {
        report.missingPrices.push({ model: entry.id, provider: provider.id, upstreamModel, reason: 'not in the price data' });
        continue;
      }
      const { prices, timeOfDaySkipped } = priceOn(found.model, asOf);
      const price = toPriceConfig(prices, entry.kind);
      if (typeof price === 'string') {
        report.missingPrices.push({ model: entry.id, provider: provider.id, upstreamModel, reason: price });
        continue;
      }
      const offer: OfferConfig = {
        provider: provider.id,
        upstreamModel,
        price,
        source: {
          kind: 'price-data',
          name: input.sourceName,
          asOf: input.catalog.asOf,
          priceProvider: found.provider.id,
          priceModel: found.model.id,
          ...(timeOfDaySkipped ? { note: 'time-of-day discount not applied' } : {}),
        },
      };
      if (found.model.context_window && found.model.context_window !== entry.contextWindow)
        offer.contextWindow = found.model.context_window;
      if (offer.contextWindow !== undefined && entry.maxOutput > offer.contextWindow) offer.maxOutput = offer.contextWindow;
      offers.push(offer);
    }
    if (offers.length === 0) {
      report.modelsWithoutOffers.push(entry.id);
      continue;
    }
    generated.push({
      id: entry.id,
      ...(entry.name ? { name: entry.name } : {}),
      kind: entry.kind,
      capabilities: entry.capabilities,
      contextWindow: entry.contextWindow,
      maxOutput: entry.maxOutput,
      offers,
    });
  }
  generated.sort((a, b) => a.id.localeCompare(b.id));
  const custom = input.catalog.customModels.map((m) => ({
    ...structuredClone(m),
    offers: m.offers.map((o) => ({ ...structuredClone(o), source: o.source ?? { kind: 'config' as const } })),
  }));
  const models = [...custom, ...generated];
  applyOverrides(models, input.catalog.overrides);
  return { models, report };
}

function applyOverrides(models: ModelConfig[], overrides: NonNullable<RouterConfig['catalog']>['overrides']): void {
  for (const o of overrides) {
    const model = models.find((m) => m.id === o.model);
    if (!model) throw new Error(`catalog override: no model "${o.model}" in the catalog`);
    const source = { kind: 'override' as const, note: o.reason };
    let offer = model.offers.find(
      (x) => x.provider === o.provider && (o.upstreamModel === undefined || x.upstreamModel === o.upstreamModel),
    );
    if (!offer) {
      if (!o.upstreamModel || !o.price)
        throw new Error(`catalog override: a new offer of "${o.model}" on "${o.provider}" needs upstreamModel and price`);
      offer = { provider: o.provider, upstreamModel: o.upstreamModel, price: o.price, source };
      model.offers.push(offer);
    }
    if (o.price) offer.price = o.price;
    if (o.region) offer.region = o.region;
    if (o.contextWindow) offer.contextWindow = o.contextWindow;
    if (o.maxOutput) offer.maxOutput = o.maxOutput;
    offer.source = source;
  }
}
