/**
 * Jurisdiction per offer (core/jurisdiction.ts): Bedrock inference profiles carry their geography
 * (`global.` is global), an aggregator's offers are unknown, and routing under `allowedJurisdictions`
 * never picks an offer whose processing is outside or unknown (policy §7).
 */
import { describe, expect, it } from 'vitest';
import { Catalog } from '../../lambdas/core/catalog';
import { parseConfig } from '../../lambdas/core/config';
import { offerJurisdiction } from '../../lambdas/core/jurisdiction';
import { listModels } from '../../lambdas/core/models';
import { chatNeeds, planRoute } from '../../lambdas/core/routing';
import { rawDefaultConfig } from '../helpers/config';

function config() {
  const raw = rawDefaultConfig();
  raw.providers = [
    raw.providers.find((p: { id: string }) => p.id === 'mock'),
    { id: 'bedrock', kind: 'bedrock', jurisdiction: 'US' },
    { id: 'openrouter', kind: 'openai', preset: 'openrouter', credential: { env: 'OR_KEY' }, jurisdiction: 'US' },
    { id: 'router2', kind: 'openai', baseUrl: 'https://openrouter.ai/api/v1', credential: { env: 'OR2_KEY' } },
    { id: 'plain', kind: 'openai', baseUrl: 'http://127.0.0.1:9/v1', credential: { env: 'P_KEY' } },
  ];
  const price = { input: 1, output: 2 };
  raw.models = [
    {
      id: 'acme/sonnet',
      contextWindow: 200_000,
      maxOutput: 8000,
      offers: [
        { provider: 'bedrock', upstreamModel: 'global.anthropic.claude-sonnet-4-5-20250929-v1:0', price: { input: 0.5, output: 1 } },
        { provider: 'bedrock', upstreamModel: 'eu.anthropic.claude-sonnet-4-5-20250929-v1:0', price },
        { provider: 'bedrock', upstreamModel: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0', price },
        { provider: 'bedrock', upstreamModel: 'anthropic.claude-3-haiku-20240307-v1:0', price },
        { provider: 'openrouter', upstreamModel: 'anthropic/claude-sonnet-4.5', price: { input: 0.1, output: 0.2 } },
        { provider: 'router2', upstreamModel: 'anthropic/claude-sonnet-4.5', price: { input: 0.1, output: 0.2 } },
        { provider: 'plain', upstreamModel: 'sonnet', price: { input: 0.1, output: 0.2 } },
      ],
    },
  ];
  return parseConfig(raw);
}

describe('jurisdiction per offer', () => {
  const catalog = new Catalog(config());
  const offers = catalog.models.get('acme/sonnet')!.offers;

  it('gives Bedrock profiles their geography, an aggregator none, others their provider’s', () => {
    expect(offers.map((o) => [o.id.split('/')[0], o.upstreamModel.split('.')[0], o.jurisdiction ?? null])).toEqual([
      ['bedrock', 'global', 'GLOBAL'],
      ['bedrock', 'eu', 'EU'],
      ['bedrock', 'us', 'US'],
      ['bedrock', 'anthropic', 'US'],
      ['openrouter', 'anthropic/claude-sonnet-4', null],
      ['router2', 'anthropic/claude-sonnet-4', null],
      ['plain', 'sonnet', null],
    ]);
    const provider = catalog.providers.get('bedrock')!;
    expect(offerJurisdiction(provider, 'apac.amazon.nova-pro-v1:0')).toBe('APAC');
    expect(offerJurisdiction(provider, 'us-gov.anthropic.claude-3-haiku-20240307-v1:0')).toBe('US');
  });

  it('routes under a residency constraint only to offers known to process inside it, cheaper ones elsewhere notwithstanding', () => {
    const usableProviders = new Set(['bedrock', 'openrouter', 'router2', 'plain']);
    const request = { model: 'acme/sonnet', messages: [{ role: 'user' as const, content: 'hi' }] };
    const route = (allowedJurisdictions?: string[]) =>
      planRoute(request, chatNeeds(request), { catalog, usableProviders, allowedJurisdictions }).map((x) => x.offer.id);
    expect(route()[0]).toMatch(/^(openrouter|router2|plain)\//);
    expect(route(['US'])).toEqual([
      'bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0',
      'bedrock/anthropic.claude-3-haiku-20240307-v1:0',
    ]);
    expect(route(['EU'])).toEqual(['bedrock/eu.anthropic.claude-sonnet-4-5-20250929-v1:0']);
    const listed = listModels(catalog, { usableProviders, allowedJurisdictions: ['US'] }, { all: true }).data[0]!.offers;
    expect(listed.find((o) => o.provider === 'bedrock' && o.jurisdiction === 'GLOBAL')?.unavailable_reason).toMatch(
      /processes data in GLOBAL, outside the allowed jurisdictions/,
    );
    expect(listed.find((o) => o.provider === 'openrouter')?.unavailable_reason).toMatch(/routes on to hosts of its choosing/);
    expect(listed.find((o) => o.provider === 'plain')?.unavailable_reason).toMatch(/declares none/);
  });
});
