/**
 * Reading the generator's inputs from a router config file and writing the generated catalog back
 * into it. The file stays reviewable: one provider and one offer per line.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { type Provider, waitForUpdate } from '@pydantic/genai-prices';
import { type ModelConfig, parseConfig } from '../core/config';
import { type GenerateReport, generateCatalog } from './generate';
import { loadIdentityMap } from './identity';

/** `@pydantic/genai-prices@<installed version>`: the price source every generated offer names. */
export function priceSourceName(): string {
  const require = createRequire(import.meta.url);
  const pkgPath = require.resolve('@pydantic/genai-prices').replace(/dist[/\\]index\.c?js$/, 'package.json');
  const { name, version } = JSON.parse(readFileSync(pkgPath, 'utf8')) as { name: string; version: string };
  return `${name}@${version}`;
}

/** The price data shipped inside the installed package (no network: nothing calls updatePrices). */
export async function shippedPriceData(): Promise<Provider[]> {
  const data = await waitForUpdate();
  if (!data) throw new Error('@pydantic/genai-prices shipped no price data');
  return data;
}

export interface BuildResult {
  /** The raw config with `models` regenerated. */
  raw: Record<string, unknown>;
  models: ModelConfig[];
  report: GenerateReport;
}

/**
 * Regenerates the catalog of a config file (which must have a `catalog` section).
 *
 * @example
 * const { raw, report } = await buildCatalog('config/router.config.json');
 */
export async function buildCatalog(configFile: string, options: { asOf?: string } = {}): Promise<BuildResult> {
  const raw = JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>;
  const config = parseConfig(raw, `router config ${configFile}`);
  if (!config.catalog) throw new Error(`${configFile} has no "catalog" section: nothing to generate from`);
  const catalog = { ...config.catalog, ...(options.asOf ? { asOf: options.asOf } : {}) };
  const identity = loadIdentityMap(resolve(dirname(configFile), catalog.identityMap));
  const { models, report } = generateCatalog(
    { providers: config.providers, catalog, identity, sourceName: priceSourceName() },
    await shippedPriceData(),
  );
  const next: Record<string, unknown> = { ...raw, models };
  if (options.asOf) next.catalog = { ...(raw.catalog as object), asOf: options.asOf };
  // Validate what is about to be written, so a bad override fails here and not at deploy.
  parseConfig(next, 'generated router config');
  return { raw: next, models, report };
}

const one = (v: unknown) => JSON.stringify(v);

function formatModel(m: Record<string, unknown>, indent: string): string {
  const inner = `${indent}  `;
  const lines = Object.entries(m).map(([k, v]) => {
    if (k === 'offers' && Array.isArray(v)) return `${inner}"offers": [\n${v.map((o) => `${inner}  ${one(o)}`).join(',\n')}\n${inner}]`;
    return `${inner}${one(k)}: ${one(v)}`;
  });
  return `${indent}{\n${lines.join(',\n')}\n${indent}}`;
}

/** Serializes a raw router config: top-level keys one per line, providers and offers one per line. */
export function formatConfig(raw: Record<string, unknown>): string {
  const parts = Object.entries(raw).map(([k, v]) => {
    if ((k === 'providers' || k === 'models') && Array.isArray(v)) {
      const items = k === 'providers' ? v.map((p) => `    ${one(p)}`) : v.map((m) => formatModel(m as Record<string, unknown>, '    '));
      return `  ${one(k)}: [\n${items.join(',\n')}\n  ]`;
    }
    if (k === 'catalog' && v && typeof v === 'object') {
      const c = v as Record<string, unknown>;
      const fields = Object.entries(c).map(([ck, cv]) => {
        if (ck === 'customModels' && Array.isArray(cv))
          return `    "customModels": [\n${cv.map((m) => formatModel(m as Record<string, unknown>, '      ')).join(',\n')}\n    ]`;
        if (Array.isArray(cv))
          return cv.length ? `    ${one(ck)}: [\n${cv.map((x) => `      ${one(x)}`).join(',\n')}\n    ]` : `    ${one(ck)}: []`;
        return `    ${one(ck)}: ${one(cv)}`;
      });
      return `  "catalog": {\n${fields.join(',\n')}\n  }`;
    }
    return `  ${one(k)}: ${JSON.stringify(v, null, 2).replace(/\n/g, '\n  ')}`;
  });
  return `{\n${parts.join(',\n')}\n}\n`;
}

/** Writes a built config back to its file. */
export function writeConfig(configFile: string, raw: Record<string, unknown>): void {
  writeFileSync(configFile, formatConfig(raw));
}
