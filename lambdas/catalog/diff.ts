/**
 * What a catalog update changes: new and removed models and offers, and price moves, so an
 * operator sees the effect of a price-data bump before deploying it (`ctr catalog diff`).
 */
import type { ModelConfig, OfferConfig } from '../core/config';

export interface PriceMove {
  model: string;
  offer: string;
  field: string;
  from: number;
  to: number;
}

export interface CatalogDiff {
  addedModels: string[];
  removedModels: string[];
  addedOffers: string[];
  removedOffers: string[];
  priceUp: PriceMove[];
  priceDown: PriceMove[];
  /** Offers whose price shape changed (tiers added or removed, a fee appeared …). */
  reshaped: string[];
}

const offerKey = (o: OfferConfig) => `${o.provider}/${o.upstreamModel}`;
const FIELDS = ['input', 'output', 'cachedInput', 'cacheWrite', 'reasoning', 'perThousandRequests'] as const;

function scalar(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (v && typeof v === 'object' && 'base' in v) return (v as { base: number }).base;
  return undefined;
}

/** Compares the committed catalog (`before`) with a fresh generation (`after`). */
export function diffCatalog(before: readonly ModelConfig[], after: readonly ModelConfig[]): CatalogDiff {
  const d: CatalogDiff = {
    addedModels: [],
    removedModels: [],
    addedOffers: [],
    removedOffers: [],
    priceUp: [],
    priceDown: [],
    reshaped: [],
  };
  const old = new Map(before.map((m) => [m.id, m]));
  const fresh = new Map(after.map((m) => [m.id, m]));
  for (const id of fresh.keys()) if (!old.has(id)) d.addedModels.push(id);
  for (const id of old.keys()) if (!fresh.has(id)) d.removedModels.push(id);
  for (const [id, m] of fresh) {
    const prev = old.get(id);
    if (!prev) continue;
    const prevOffers = new Map(prev.offers.map((o) => [offerKey(o), o]));
    const nextOffers = new Map(m.offers.map((o) => [offerKey(o), o]));
    for (const k of nextOffers.keys()) if (!prevOffers.has(k)) d.addedOffers.push(`${id} @ ${k}`);
    for (const k of prevOffers.keys()) if (!nextOffers.has(k)) d.removedOffers.push(`${id} @ ${k}`);
    for (const [k, o] of nextOffers) {
      const p = prevOffers.get(k);
      if (!p) continue;
      for (const f of FIELDS) {
        const a = p.price[f];
        const b = o.price[f];
        const from = scalar(a);
        const to = scalar(b);
        if (JSON.stringify(a) === JSON.stringify(b)) continue;
        // A move of the base price (tiers included) is a move; anything else (tiers added or removed) a reshape.
        if (from !== undefined && to !== undefined && typeof a === typeof b && from !== to) {
          (to > from ? d.priceUp : d.priceDown).push({ model: id, offer: k, field: f, from, to });
        } else {
          d.reshaped.push(`${id} @ ${k}: ${f} ${JSON.stringify(a) ?? 'none'} → ${JSON.stringify(b) ?? 'none'}`);
        }
      }
    }
  }
  return d;
}

/** True when the two catalogs have the same models, offers and prices. */
export function isEmptyDiff(d: CatalogDiff): boolean {
  return Object.values(d).every((v) => v.length === 0);
}

/** The diff as text for a terminal. */
export function formatDiff(d: CatalogDiff): string {
  if (isEmptyDiff(d)) return 'No change: the catalog equals a fresh generation.';
  const lines: string[] = [];
  const section = (title: string, items: string[]) => {
    if (items.length) lines.push(`${title} (${items.length})`, ...items.map((i) => `  ${i}`));
  };
  const move = (m: PriceMove) => `${m.model} @ ${m.offer}: ${m.field} $${m.from} → $${m.to} per M`;
  section('New models', d.addedModels);
  section('Removed models', d.removedModels);
  section('New offers', d.addedOffers);
  section('Removed offers', d.removedOffers);
  section('Price up', d.priceUp.map(move));
  section('Price down', d.priceDown.map(move));
  section('Price shape changed', d.reshaped);
  return lines.join('\n');
}
