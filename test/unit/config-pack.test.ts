/** Lambda bundles inline the config validated at synth (esbuild `define`); `loadConfig` reads it without validating it again. */
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { Catalog } from '../../lambdas/core/catalog';
import { ConfigError, loadConfig } from '../../lambdas/core/config';
import { inlinedModels, packValidatedConfig } from '../../lambdas/core/config-inline';
import { defaultConfig } from '../helpers/config';

describe('inlined config packing', () => {
  it('reads a config the CDK app validated without validating it again; an unmarked one is still validated', () => {
    const { $schema: _ignored, ...config } = defaultConfig();
    expect(loadConfig({ CTR_CONFIG_JSON: packValidatedConfig(config) })).toEqual(config);
    expect(() => loadConfig({ CTR_CONFIG_JSON: JSON.stringify({ ...config, primaryRegion: 'nowhere' }) })).toThrow(ConfigError);
    expect(loadConfig({ CTR_CONFIG_JSON: JSON.stringify(defaultConfig()) })).toEqual(defaultConfig());
  });

  it('trusts the mark: a packed config is not validated again', () => {
    const { $schema: _ignored, ...config } = defaultConfig();
    expect(loadConfig({ CTR_CONFIG_JSON: packValidatedConfig({ ...config, primaryRegion: 'nowhere' }) }).primaryRegion).toBe('nowhere');
  });

  it('packs the shipped config as plain JSON, which esbuild inlines in full although it is larger than a 128 KiB command-line argument', async () => {
    const { $schema: _ignored, ...config } = defaultConfig();
    const packed = packValidatedConfig(config);
    expect(packed.length).toBeGreaterThan(128 * 1024);
    // The define travels to esbuild through its JS API (stdin), as lib/function-bundle.ts bundles.
    const out = await build({
      stdin: { contents: 'export const config = process.env.CTR_INLINED_CONFIG;', loader: 'js' },
      define: { 'process.env.CTR_INLINED_CONFIG': JSON.stringify(packed) },
      format: 'esm',
      write: false,
      logLevel: 'silent',
    });
    const { config: inlined } = (await import(`data:text/javascript,${encodeURIComponent(out.outputFiles[0]!.text)}`)) as {
      config: string;
    };
    expect(inlined).toBe(packed);
    expect(loadConfig({ CTR_CONFIG_JSON: inlined })).toEqual(config);
  });

  it('parses an inlined model when it is first read: the catalog of a cold start parses only the models a request names', () => {
    const { $schema: _ignored, ...config } = defaultConfig();
    const [first, second] = config.models;
    const lines = packValidatedConfig(config).split('\n');
    // The line of the second model is broken: only reading that model fails.
    lines[3] = '{';
    const loaded = loadConfig({ CTR_CONFIG_JSON: lines.join('\n') });
    expect(inlinedModels(loaded)?.ids).toEqual(config.models.map((m) => m.id));
    const catalog = new Catalog(loaded);
    expect([...catalog.models.keys()]).toEqual(config.models.map((m) => m.id));
    expect(catalog.models.get(first!.id)!.config).toEqual(first);
    expect(catalog.models.get(first!.id)!.offers.map((o) => o.upstreamModel)).toEqual(first!.offers.map((o) => o.upstreamModel));
    expect(() => catalog.models.get(second!.id)!.config).toThrow(SyntaxError);
    expect(() => loaded.models).toThrow(SyntaxError);
  });

  it('builds the same catalog from an inlined config as from the parsed one', () => {
    const { $schema: _ignored, ...config } = defaultConfig();
    const view = (c: Catalog) =>
      [...c.models.values()].map((m) => ({ id: m.id, config: m.config, offers: m.offers.map(({ model: _m, ...o }) => o) }));
    expect(view(new Catalog(loadConfig({ CTR_CONFIG_JSON: packValidatedConfig(config) })))).toEqual(view(new Catalog(config)));
  });
});
