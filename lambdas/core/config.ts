/**
 * The router config: one JSON file that drives both the CDK app and the runtime.
 *
 * The schema below is the single source of truth; `npm run schema` publishes it as
 * JSON Schema (`config/router-config.schema.json`) for editors. Retention maxima
 * come from the privacy policy's retention section (§8).
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as z from 'zod';
import { lazy } from '../domain/lazy';
import { nearestName } from '../domain/nearest-name';
import { PRESET_IDS, PROVIDER_KINDS, type ProviderSettings } from '../domain/provider';
import { catalogSchemas } from './config-catalog';
import { unpackValidatedConfig, VALIDATED } from './config-inline';
import { corsSchema } from './cors-config';
import { deploymentSchema } from './deployment-config';

/** Policy maxima (§8), in days. Config may shorten these, never lengthen them. */
export const POLICY_MAX_DAYS = {
  usage: 730, // usage data: up to 2 years
  billing: 2557, // billing information: up to 7 years (7 × 365 + 2 leap days)
} as const;

const AWS_REGION = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;

/**
 * The config schema, built on first use: when a config is validated (synth, the CLI, tests, local mode),
 * never at a Lambda cold start, whose inlined config was validated at synth (`packValidatedConfig`).
 */
export const routerConfigSchema = lazy(() => {
  const { catalogInputSchema, modelSchema } = catalogSchemas();
  const credentialSchema = z
    .object({
      env: z
        .string()
        .regex(/^[A-Z_][A-Z0-9_]*$/)
        .describe('Environment variable holding the key in local mode'),
      secretField: z
        .string()
        .min(1)
        .optional()
        .describe('Field of the provider-credentials secret (Secrets Manager) holding the key in the cloud; defaults to the provider id'),
    })
    .strict();

  const providerSchema = z
    .object({
      id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'provider id: lower-case letters, digits and dashes'),
      kind: z.enum(PROVIDER_KINDS),
      baseUrl: z.url().optional().describe("API base URL, e.g. https://api.groq.com/openai/v1; defaults to the preset's or the kind's"),
      preset: z.enum(PRESET_IDS).optional().describe('For kind openai: a known OpenAI-compatible host (base URL, auth header, quirks)'),
      presetParams: z
        .record(z.string(), z.string())
        .optional()
        .describe('Placeholders of the preset base URL, e.g. Azure {resource} and {deployment}'),
      query: z.record(z.string(), z.string()).optional().describe('Query parameters for every request, e.g. Azure api-version'),
      region: z.string().regex(AWS_REGION).optional().describe('For kind bedrock: the AWS region of the Bedrock endpoint'),
      credential: credentialSchema.optional(),
      jurisdiction: z.string().min(2).optional().describe('Where the provider processes data (ISO country or region code, e.g. US, EU)'),
      timeoutMs: z.number().int().positive().max(900_000).default(120_000),
      dataCollection: z
        .enum(['allow', 'deny'])
        .default('deny')
        .describe('Whether the provider may retain or train on requests (OpenRouter data_collection)'),
      priceProvider: z
        .string()
        .optional()
        .describe('Provider id in the price data (catalog generator); defaults to the one whose API URL pattern matches'),
    })
    .strict()
    .superRefine((p, ctx) => {
      // Anthropic and Gemini default to their public endpoints; Bedrock resolves its regional endpoint.
      if (p.kind === 'openai' && !p.baseUrl && !p.preset)
        ctx.addIssue({ code: 'custom', path: ['baseUrl'], message: `provider "${p.id}" (kind openai) needs a baseUrl or a preset` });
      if (p.preset && p.kind !== 'openai') ctx.addIssue({ code: 'custom', path: ['preset'], message: 'presets are for kind openai' });
      // Bedrock signs requests with the function's IAM role; the mock needs nothing.
      if (p.kind !== 'mock' && p.kind !== 'bedrock' && !p.credential)
        ctx.addIssue({ code: 'custom', path: ['credential'], message: `provider "${p.id}" needs a credential reference` });
    });

  const retentionSchema = z
    .object({
      usageDays: z
        .number()
        .int()
        .positive()
        .max(POLICY_MAX_DAYS.usage, `usage data may be kept at most ${POLICY_MAX_DAYS.usage} days (policy §8)`)
        .default(730)
        .describe('Days usage records and daily aggregates are kept (TTL), at most 2 years (policy §8)'),
      billingDays: z
        .number()
        .int()
        .positive()
        .max(POLICY_MAX_DAYS.billing, `billing records may be kept at most ${POLICY_MAX_DAYS.billing} days (policy §8)`)
        .default(2557)
        .describe('Days billing statements are kept (TTL), at most 7 years (policy §8)'),
      accountGraceDays: z
        .number()
        .int()
        .min(0)
        .max(90, 'account data is kept while active; the grace period after closure may be at most 90 days (policy §8)')
        .default(30)
        .describe('Days a closed account is kept before it is deleted (policy §8: account data while active)'),
      supportResolvedDays: z
        .number()
        .int()
        .min(0)
        .max(30, 'support communications end when resolved; keep at most 30 days after (policy §8)')
        .default(7)
        .describe('Days a resolved support ticket is kept (policy §8: until resolved)'),
      rateLimitSeconds: z
        .number()
        .int()
        .min(60)
        .max(3600)
        .default(300)
        .describe("Seconds a rate-limit window's item is kept after its minute ends (TTL)"),
      privacyAuditDays: z
        .number()
        .int()
        .positive()
        .max(POLICY_MAX_DAYS.billing)
        .default(2557)
        .describe('Days the record of each privacy request (export, erasure …) is kept; it holds no personal content'),
    })
    .strict();

  /** Offer health and circuit breaking (see core/health.ts); every field has a default. */
  const healthSchema = z
    .object({
      enabled: z.boolean().default(true).describe('Learn offer health from outcomes and route around failing offers'),
      windowMinutes: z.number().int().min(1).max(60).default(5).describe('The sliding window of the regional health counts'),
      minSamples: z
        .number()
        .int()
        .min(1)
        .max(1000)
        .default(5)
        .describe('Samples before the regional error rate or measured speeds are trusted'),
      openErrorRate: z.number().gt(0).max(1).default(0.5).describe("Regional error rate that opens an offer's breaker"),
      consecutiveFailures: z
        .number()
        .int()
        .min(1)
        .max(100)
        .default(3)
        .describe('Failures in a row, seen by one instance, that open a breaker'),
      baseCooldownMs: z
        .number()
        .int()
        .min(100)
        .max(600_000)
        .default(5_000)
        .describe('First cool-down of an open breaker; doubles while the offer keeps failing'),
      maxCooldownMs: z.number().int().min(100).max(3_600_000).default(300_000),
      probeShare: z.number().min(0).max(1).default(0.1).describe('Share of requests that probe a half-open offer'),
      syncMs: z
        .number()
        .int()
        .min(100)
        .max(600_000)
        .default(10_000)
        .describe("How often an instance shares its counts and reads the region's"),
    })
    .strict();

  return z
    .object({
      $schema: z.string().optional(),
      primaryRegion: z.string().regex(AWS_REGION, 'an AWS region such as us-east-1'),
      replicaRegions: z.array(z.string().regex(AWS_REGION, 'an AWS region such as eu-west-1')).default([]),
      // International transfers (policy §7): where data may be stored and where requests may go.
      storageRegions: z
        .array(z.string().regex(AWS_REGION))
        .optional()
        .describe('If set, the AWS regions where data may be stored: the primary and every replica region must be among them (policy §7)'),
      allowedJurisdictions: z
        .array(z.string())
        .optional()
        .describe('If set, only providers in these jurisdictions are routed to (policy §7)'),
      allowedOfferRegions: z
        .array(z.string())
        .optional()
        .describe('If set, only offers that declare one of these regions are routed to; offers without a region are excluded (policy §7)'),
      retention: retentionSchema.prefault({}),
      health: healthSchema.prefault({}),
      cors: corsSchema().prefault({}).describe('Cross-origin (browser) access; no origin is allowed unless listed'),
      deployment: deploymentSchema()
        .prefault({})
        .describe('Deployment settings: name prefix (stage), memory, alarms, WAF, tracing, budget alerts'),
      providers: z.array(providerSchema).min(1),
      catalog: catalogInputSchema.optional().describe('Inputs of the catalog generator (`npm run catalog`), which writes `models`'),
      models: z
        .array(modelSchema)
        .min(1)
        .describe('The catalog. Generated by `npm run catalog` when `catalog` is set: edit `catalog`, not this'),
    })
    .strict()
    .superRefine((c, ctx) => {
      const seen = new Set<string>();
      c.replicaRegions.forEach((r, i) => {
        if (r === c.primaryRegion)
          ctx.addIssue({ code: 'custom', path: ['replicaRegions', i], message: `replica region ${r} is the primary region` });
        if (seen.has(r)) ctx.addIssue({ code: 'custom', path: ['replicaRegions', i], message: `replica region ${r} listed twice` });
        seen.add(r);
      });
      if (c.storageRegions) {
        const allowed = new Set(c.storageRegions);
        if (!allowed.has(c.primaryRegion))
          ctx.addIssue({ code: 'custom', path: ['primaryRegion'], message: `primary region ${c.primaryRegion} is not in storageRegions` });
        c.replicaRegions.forEach((r, i) => {
          if (!allowed.has(r))
            ctx.addIssue({ code: 'custom', path: ['replicaRegions', i], message: `replica region ${r} is not in storageRegions` });
        });
      }
      const providerIds = new Set<string>();
      c.providers.forEach((p, i) => {
        if (providerIds.has(p.id))
          ctx.addIssue({ code: 'custom', path: ['providers', i, 'id'], message: `duplicate provider id "${p.id}"` });
        providerIds.add(p.id);
      });
      const modelIds = new Set<string>();
      /** Offers naming a provider the config does not define, by that name: one issue per name, not per offer. */
      const unknown = new Map<string, { path: (string | number)[]; models: string[] }>();
      const usedProviders = new Set<string>();
      const offerOf = (path: (string | number)[], provider: string, model: string) => {
        usedProviders.add(provider);
        if (providerIds.has(provider)) return;
        const seen = unknown.get(provider) ?? { path, models: [] };
        seen.models.push(model);
        unknown.set(provider, seen);
      };
      c.models.forEach((m, i) => {
        if (modelIds.has(m.id)) ctx.addIssue({ code: 'custom', path: ['models', i, 'id'], message: `duplicate model id "${m.id}"` });
        modelIds.add(m.id);
        m.offers.forEach((o, j) => {
          offerOf(['models', i, 'offers', j, 'provider'], o.provider, m.id);
        });
      });
      c.catalog?.customModels.forEach((m, i) => {
        m.offers.forEach((o, j) => {
          offerOf(['catalog', 'customModels', i, 'offers', j, 'provider'], o.provider, m.id);
        });
      });
      c.catalog?.overrides.forEach((o, i) => {
        offerOf(['catalog', 'overrides', i, 'provider'], o.provider, o.model);
      });
      const unused = [...providerIds].filter((id) => !usedProviders.has(id));
      for (const [provider, { path, models }] of unknown) {
        const where = models.length === 1 ? `an offer of model "${models[0]}"` : `${models.length} offers (models ${listed(models)})`;
        const near = nearestName(provider, providerIds);
        const hint = near
          ? ` (did you mean "${near}"?)`
          : unused.length > 0
            ? ` (providers no offer names: ${unused.map((u) => `"${u}"`).join(', ')})`
            : '';
        ctx.addIssue({ code: 'custom', path, message: `unknown provider "${provider}" in ${where}${hint}` });
      }
    });
});

/** Up to three names, then how many more. */
const listed = (names: readonly string[]) =>
  names.length <= 3 ? names.join(', ') : `${names.slice(0, 3).join(', ')} and ${names.length - 3} more`;

/** The validated config, with defaults applied. */
export type RouterConfig = z.infer<ReturnType<typeof routerConfigSchema>>;
export type ProviderConfig = RouterConfig['providers'][number];
export type ModelConfig = RouterConfig['models'][number];
export type OfferConfig = ModelConfig['offers'][number];
export type Capabilities = ModelConfig['capabilities'];

/** The schema's provider entries are what adapters read (checked at compile time). */
const _providersAreSettings = (p: ProviderConfig): ProviderSettings => p;
void _providersAreSettings;

/** Thrown when a config does not validate; the message names every failing field. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Validates a parsed config object.
 *
 * @example
 * const config = parseConfig(JSON.parse(readFileSync('config/router.config.json', 'utf8')));
 */
export function parseConfig(raw: unknown, source = 'router config'): RouterConfig {
  const result = routerConfigSchema().safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  - ${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`);
    throw new ConfigError(`Invalid ${source}:\n${lines.join('\n')}`);
  }
  return result.data;
}

const here = dirname(fileURLToPath(import.meta.url));
/** The shipped default config. */
export const DEFAULT_CONFIG_PATH = resolve(here, '../../config/router.config.json');

/** Resolves the config file path: `CTR_CONFIG` if set, else the shipped default. */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.CTR_CONFIG ? resolve(env.CTR_CONFIG) : DEFAULT_CONFIG_PATH;
}

/** Reads and validates a config file. */
export function loadConfigFile(path: string): RouterConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`Cannot read router config ${path}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`Router config ${path} is not valid JSON: ${(err as Error).message}`);
  }
  return parseConfig(raw, `router config ${path}`);
}

/**
 * The config inlined into a Lambda bundle: esbuild's `define` (lib/function-bundle.ts) replaces
 * `process.env.CTR_INLINED_CONFIG` with it; unset elsewhere. Read at the top level of the module,
 * so that V8 scans the ~210 KB literal once, when it compiles the module, and not a second time
 * when it compiles `loadConfig` at the first call (about 1 ms of a cold start).
 */
const INLINED_CONFIG: string | undefined = process.env.CTR_INLINED_CONFIG;

/**
 * Loads the config the runtime uses. Lambda bundles carry it inline (`INLINED_CONFIG`, set at
 * bundle time by the CDK construct) so cold starts read no file; otherwise `CTR_CONFIG_JSON`
 * (tests, child processes) or the config file.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): RouterConfig {
  const inline = env === process.env ? (INLINED_CONFIG ?? process.env.CTR_CONFIG_JSON) : env.CTR_CONFIG_JSON;
  // The CDK app validated the inlined config at synth, with this very schema: a cold start does not validate it again.
  if (inline?.startsWith(VALIDATED)) return unpackValidatedConfig<RouterConfig, ModelConfig>(inline.slice(VALIDATED.length));
  if (inline) return parseConfig(JSON.parse(inline), 'inline router config');
  return loadConfigFile(configPath(env));
}

/** The config schema as JSON Schema (draft 2020-12), for editors and external validation. */
export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(routerConfigSchema(), { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}
