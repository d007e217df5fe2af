import { describe, expect, it } from 'vitest';
import { ConfigError, configJsonSchema, parseConfig } from '../../lambdas/core/config';
import { defaultConfig, rawDefaultConfig } from '../helpers/config';

describe('router config', () => {
  it('the shipped default config validates and applies defaults', () => {
    const config = defaultConfig();
    expect(config.primaryRegion).toBe('us-east-1');
    expect(config.models.length).toBeGreaterThan(5);
    expect(config.providers.find((p) => p.id === 'groq')!.timeoutMs).toBe(120_000);
  });

  it('names the field of an unknown provider in an offer', () => {
    const raw = rawDefaultConfig();
    raw.models[2].offers[0].provider = 'nope';
    expect(() => parseConfig(raw)).toThrow(/models\.2\.offers\.0\.provider: unknown provider "nope"/);
  });

  it('names a mistyped provider of a catalog override, with the nearest known provider', () => {
    // Prepare
    const raw = rawDefaultConfig();
    raw.catalog.overrides.push({
      model: raw.models[2].id,
      provider: 'grq',
      upstreamModel: 'x',
      price: { input: 1, output: 1 },
      reason: 'test',
    });
    const index = raw.catalog.overrides.length - 1;
    // Act / Assess
    expect(() => parseConfig(raw)).toThrow(
      new RegExp(
        `catalog\\.overrides\\.${index}\\.provider: unknown provider "grq" in an offer of model "${raw.models[2].id}" \\(did you mean "groq"\\?\\)`,
      ),
    );
  });

  it('a renamed provider: one line for all its offers, naming the provider no offer uses', () => {
    // Prepare: groq renamed, its offers left as they were
    const raw = rawDefaultConfig();
    const groq = raw.providers.find((p: { id: string }) => p.id === 'groq');
    groq.id = 'groq-lpu-cloud';
    const offers = raw.models
      .flatMap((m: { offers: { provider: string }[] }) => m.offers)
      .filter((o: { provider: string }) => o.provider === 'groq');
    // Act
    const message = (() => {
      try {
        parseConfig(raw);
      } catch (e) {
        return (e as ConfigError).message;
      }
    })()!;
    // Assess
    const lines = message.split('\n').filter((l) => l.includes('"groq"'));
    expect(offers.length).toBeGreaterThan(3);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(
        `unknown provider "groq" in ${offers.length} offers \\(models .+ and \\d+ more\\) \\(providers no offer names: "groq-lpu-cloud"[^)]*\\)$`,
      ),
    );
  });

  it('names the nearest provider of a mistyped offer', () => {
    const raw = rawDefaultConfig();
    raw.models[2].offers[0].provider = 'opnai';
    expect(() => parseConfig(raw)).toThrow(
      /models\.2\.offers\.0\.provider: unknown provider "opnai" in an offer of model "[^"]+" \(did you mean "openai"\?\)/,
    );
  });

  it('rejects a replica region equal to the primary region', () => {
    const raw = rawDefaultConfig();
    raw.replicaRegions = ['us-east-1'];
    expect(() => parseConfig(raw)).toThrow(/replicaRegions\.0: replica region us-east-1 is the primary region/);
  });

  it('rejects retention beyond the privacy policy maxima', () => {
    const raw = rawDefaultConfig();
    raw.retention.usageDays = 731;
    raw.retention.billingDays = 9999;
    const err = (() => {
      try {
        parseConfig(raw);
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err!.message).toMatch(/retention\.usageDays: usage data may be kept at most 730 days/);
    expect(err!.message).toMatch(/retention\.billingDays: billing records may be kept at most 2557 days/);
  });

  it('rejects prices with sub-pico precision, negative prices and unknown fields', () => {
    const raw = rawDefaultConfig();
    const i = raw.models.findIndex((m: { offers: unknown[] }) => m.offers.length >= 3);
    raw.models[i].offers[0].price.input = 0.0000001;
    raw.models[i].offers[1].price.output = -1;
    raw.models[i].offers[2].colour = 'blue';
    const msg = (() => {
      try {
        parseConfig(raw);
      } catch (e) {
        return (e as Error).message;
      }
    })();
    expect(msg).toMatch(new RegExp(`models\\.${i}\\.offers\\.0\\.price\\.input: .*price must have at most 6 decimal places`));
    expect(msg).toMatch(new RegExp(`models\\.${i}\\.offers\\.1\\.price\\.output`));
    expect(msg).toMatch(new RegExp(`models\\.${i}\\.offers\\.2: Unrecognized key`));
  });

  it('requires a base URL and credential for non-mock providers', () => {
    const raw = rawDefaultConfig();
    raw.providers.push({ id: 'bare', kind: 'openai' });
    expect(() => parseConfig(raw)).toThrow(/providers\.\d+\.baseUrl: provider "bare" \(kind openai\) needs a baseUrl/);
  });

  it('publishes a JSON Schema that matches the checked-in file', async () => {
    const schema = configJsonSchema();
    const { readFileSync } = await import('node:fs');
    const file = JSON.parse(readFileSync(new URL('../../config/router-config.schema.json', import.meta.url), 'utf8'));
    expect(file).toEqual(schema);
    expect(JSON.stringify(schema)).toContain('primaryRegion');
  });
});
