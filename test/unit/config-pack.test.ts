/** The generated catalog makes the config too large for one command-line argument: Lambda bundles inline it gzipped. */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, packConfigJson, packValidatedConfig, unpackConfigJson } from '../../lambdas/core/config';
import { defaultConfig } from '../helpers/config';

describe('inlined config packing', () => {
  it('packs the shipped config below the 128 KiB argument limit, and loadConfig reads it back unchanged', () => {
    const json = JSON.stringify(defaultConfig());
    const packed = packConfigJson(json);
    expect(json.length).toBeGreaterThan(128 * 1024);
    expect(JSON.stringify(packed).length).toBeLessThan(128 * 1024);
    expect(unpackConfigJson(packed)).toBe(json);
    expect(loadConfig({ CTR_CONFIG_JSON: packed })).toEqual(defaultConfig());
  });

  it('leaves a small config as it is', () => {
    const json = JSON.stringify({ primaryRegion: 'us-east-1' });
    expect(packConfigJson(json)).toBe(json);
    expect(unpackConfigJson(json)).toBe(json);
  });

  it('reads a config the CDK app validated without validating it again; an unmarked one is still validated', () => {
    const { $schema: _ignored, ...config } = defaultConfig();
    expect(loadConfig({ CTR_CONFIG_JSON: packValidatedConfig(config) })).toEqual(config);
    expect(() => loadConfig({ CTR_CONFIG_JSON: JSON.stringify({ ...config, primaryRegion: 'nowhere' }) })).toThrow(ConfigError);
  });
});
