/**
 * Where an offer processes data (policy §7), per offer and not only per provider: an Amazon Bedrock
 * cross-Region inference profile processes in its profile's geography (`us.`, `eu.`, `apac.` …) and a
 * `global.` profile in any commercial region worldwide; an aggregator (OpenRouter) serves each model from
 * whichever host it picks, so its offers' jurisdiction is unknown. An unknown jurisdiction is never
 * chosen under a residency constraint (`allowedJurisdictions`).
 */
import type { ProviderConfig } from './config';

/** The jurisdiction of an offer that may be processed anywhere. */
export const GLOBAL = 'GLOBAL';

/** Bedrock inference-profile prefixes and the geography AWS keeps their processing in. */
const BEDROCK_PROFILE_GEOGRAPHY: Readonly<Record<string, string>> = {
  global: GLOBAL,
  us: 'US',
  'us-gov': 'US',
  eu: 'EU',
  apac: 'APAC',
  jp: 'JP',
  au: 'AU',
  ca: 'CA',
};

/** Hosts that route each request on to a host of their choosing (the offer's real host is not known). */
const AGGREGATOR_HOSTS: readonly string[] = ['openrouter.ai'];

const hostOf = (url: string | undefined) => {
  try {
    return url ? new URL(url).hostname : undefined;
  } catch {
    return undefined;
  }
};

/** True for a provider that routes each request on to a host of its choosing. */
export function isAggregator(provider: ProviderConfig): boolean {
  return provider.preset === 'openrouter' || AGGREGATOR_HOSTS.some((h) => hostOf(provider.baseUrl)?.endsWith(h) ?? false);
}

/**
 * The jurisdiction an offer's data is processed in, or undefined when it cannot be known.
 *
 * @example
 * offerJurisdiction({ kind: 'bedrock', jurisdiction: 'US', … }, 'global.anthropic.claude-sonnet-4-5-20250929-v1:0') // 'GLOBAL'
 * offerJurisdiction({ kind: 'openai', preset: 'openrouter', jurisdiction: 'US', … }, 'meta-llama/llama-3.3-70b-instruct') // undefined
 */
export function offerJurisdiction(provider: ProviderConfig, upstreamModel: string): string | undefined {
  if (isAggregator(provider)) return undefined;
  if (provider.kind === 'bedrock') {
    const prefix = /^([a-z-]+)\.[a-z0-9-]+\./.exec(upstreamModel)?.[1];
    if (prefix && prefix in BEDROCK_PROFILE_GEOGRAPHY) return BEDROCK_PROFILE_GEOGRAPHY[prefix];
  }
  return provider.jurisdiction;
}
