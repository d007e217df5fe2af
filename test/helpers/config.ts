/** Test configs built from the shipped default, with providers pointed at loopback mock upstreams. */
import { readFileSync } from 'node:fs';
import { DEFAULT_CONFIG_PATH, parseConfig, type RouterConfig } from '../../lambdas/core/config';

/** The shipped default config, parsed (throws if it is invalid). */
export function defaultConfig(): RouterConfig {
  return parseConfig(JSON.parse(readFileSync(DEFAULT_CONFIG_PATH, 'utf8')));
}

/** A raw (unparsed) copy of the default config, to mutate in tests. */
export function rawDefaultConfig(): Record<string, any> {
  return JSON.parse(readFileSync(DEFAULT_CONFIG_PATH, 'utf8'));
}

/**
 * A small config with one model sold by three OpenAI-compatible providers at different prices
 * (cheap < mid < dear), plus the mock provider's models. Offer health is off unless asked for, so
 * suites that test the fallback mechanics see the configured order on every request; the health
 * suite turns it on with its own policy.
 */
export function threeProviderConfig(
  baseUrls: { cheap: string; mid: string; dear: string },
  health: Record<string, unknown> = { enabled: false },
): Record<string, any> {
  const raw = rawDefaultConfig();
  raw.health = health;
  raw.providers = [
    raw.providers.find((p: { id: string }) => p.id === 'mock'),
    { id: 'cheap', kind: 'openai', baseUrl: baseUrls.cheap, credential: { env: 'CHEAP_KEY' }, jurisdiction: 'US', timeoutMs: 5000 },
    { id: 'mid', kind: 'openai', baseUrl: baseUrls.mid, credential: { env: 'MID_KEY' }, jurisdiction: 'EU', timeoutMs: 5000 },
    { id: 'dear', kind: 'openai', baseUrl: baseUrls.dear, credential: { env: 'DEAR_KEY' }, jurisdiction: 'US', timeoutMs: 5000 },
  ];
  raw.models = [
    ...raw.models.filter((m: { id: string }) => m.id.startsWith('mock/')),
    {
      id: 'acme/llama-test',
      capabilities: { tools: true, jsonMode: true },
      contextWindow: 8192,
      maxOutput: 2048,
      offers: [
        {
          provider: 'mid',
          upstreamModel: 'llama-mid',
          price: { input: 0.59, output: 0.79, cachedInput: 0.295 },
          latencyMs: 100,
          throughputTps: 300,
        },
        {
          provider: 'cheap',
          upstreamModel: 'llama-cheap',
          price: { input: 0.23, output: 0.4, cachedInput: 0.115 },
          latencyMs: 400,
          throughputTps: 40,
        },
        {
          provider: 'dear',
          upstreamModel: 'llama-dear',
          price: { input: 0.88, output: 0.88 },
          latencyMs: 300,
          throughputTps: 90,
          contextWindow: 131072,
        },
      ],
    },
  ];
  return raw;
}
