/** Lambda bundles inline the config validated at synth (esbuild `define`); `loadConfig` reads it without validating it again. */
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, packValidatedConfig } from '../../lambdas/core/config';
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
      stdin: { contents: 'export const config = process.env.CTR_CONFIG_JSON;', loader: 'js' },
      define: { 'process.env.CTR_CONFIG_JSON': JSON.stringify(packed) },
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
});
