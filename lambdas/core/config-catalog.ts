/**
 * The catalog half of the router config: models, their offers and prices (flat or tiered rates,
 * cache reads and writes, reasoning, per-request fees) with each price's source, and the inputs of
 * the catalog generator (`npm run catalog`). `config.ts` composes it into the whole config.
 */
import * as z from 'zod';
import { lazy } from '../domain/lazy';

/** The catalog schemas, built on first use (a config is validated at synth, by the CLI and in tests; never at a Lambda cold start). */
export const catalogSchemas = lazy(() => {
  /** A price in USD per million tokens, at most 6 decimals (so it is an integer number of pico-USD per token). */
  const usdPerMillion = z
    .number()
    .nonnegative()
    .refine((v) => Number.isInteger(Math.round(v * 1e6)) && Math.abs(v * 1e6 - Math.round(v * 1e6)) < 1e-6, {
      message: 'price must have at most 6 decimal places (USD per million tokens)',
    });

  /** A rate: a flat price, or a base price with tiers (the whole request at the highest tier its prompt size exceeds). */
  const rateSchema = z.union([
    usdPerMillion,
    z
      .object({
        base: usdPerMillion,
        tiers: z
          .array(
            z
              .object({
                start: z.number().int().nonnegative().describe('Prompt tokens (cached included) above which this price applies'),
                price: usdPerMillion,
              })
              .strict(),
          )
          .min(1),
      })
      .strict(),
  ]);

  const priceSchema = z
    .object({
      input: rateSchema.describe('USD per million uncached input tokens'),
      output: rateSchema.describe('USD per million output tokens (reasoning tokens included unless `reasoning` is set)'),
      cachedInput: rateSchema.optional().describe('USD per million input tokens read from the prompt cache; defaults to input'),
      cacheWrite: rateSchema.optional().describe('USD per million input tokens written to the prompt cache; defaults to input'),
      reasoning: rateSchema.optional().describe('USD per million reasoning tokens, if priced apart from output; defaults to output'),
      perThousandRequests: z.number().nonnegative().optional().describe('USD per thousand requests, a fee added once per request'),
    })
    .strict();

  /** Where an offer's price comes from: the maintained price data, an operator override, or the config itself. */
  const priceSourceSchema = z
    .object({
      kind: z.enum(['price-data', 'override', 'config']),
      name: z.string().optional().describe('The price data package and version, e.g. @pydantic/genai-prices@0.1.8'),
      asOf: z
        .string()
        .regex(/^\d{4}-\d{2}-\d{2}$/)
        .optional()
        .describe('The date the price was taken for (start-date conditional prices)'),
      priceProvider: z.string().optional().describe('Provider id in the price data'),
      priceModel: z.string().optional().describe('Model id in the price data'),
      note: z.string().optional().describe('Why an override exists, or a caveat of the price'),
    })
    .strict();

  const offerSchema = z
    .object({
      provider: z.string(),
      upstreamModel: z.string().min(1),
      price: priceSchema,
      region: z.string().optional().describe('Region the offer is served from, for residency constraints'),
      latencyMs: z.number().int().positive().optional().describe('Typical time to first token, for sort=latency'),
      throughputTps: z.number().positive().optional().describe('Typical output tokens per second, for sort=throughput'),
      contextWindow: z.number().int().positive().optional().describe('Overrides the model context window for this offer'),
      maxOutput: z.number().int().positive().optional().describe('Overrides the model max output for this offer'),
      source: priceSourceSchema.optional().describe('Where the price comes from (set by the catalog generator)'),
    })
    .strict();

  const capabilitiesSchema = z
    .object({
      tools: z.boolean().default(false),
      vision: z.boolean().default(false),
      jsonMode: z.boolean().default(false),
      structuredOutput: z.boolean().default(false),
    })
    .strict();

  const modelSchema = z
    .object({
      id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._\-/]*$/, 'model id: letters, digits, dot, dash, underscore and slash'),
      name: z.string().optional(),
      kind: z.enum(['chat', 'embedding']).default('chat'),
      capabilities: capabilitiesSchema.prefault({}),
      contextWindow: z.number().int().positive(),
      maxOutput: z.number().int().positive(),
      offers: z.array(offerSchema).min(1),
    })
    .strict();

  const overrideSchema = z
    .object({
      model: z.string().describe('Catalog model id'),
      provider: z.string().describe('Router provider id'),
      upstreamModel: z.string().optional().describe('Upstream model id; required when the override adds an offer'),
      price: priceSchema.optional(),
      region: z.string().optional(),
      contextWindow: z.number().int().positive().optional(),
      maxOutput: z.number().int().positive().optional(),
      reason: z.string().min(1).describe('Why: a negotiated price, a private deployment …'),
    })
    .strict();

  const catalogInputSchema = z
    .object({
      asOf: z
        .string()
        .regex(/^\d{4}-\d{2}-\d{2}$/)
        .describe('Date the prices are taken for (date-conditional prices)'),
      identityMap: z.string().default('../data/model-identity.json').describe('Model identity map, relative to the config file'),
      overrides: z
        .array(overrideSchema)
        .default([])
        .describe('Operator prices and offers, applied over the price data and marked as overrides'),
      customModels: z
        .array(modelSchema)
        .default([])
        .describe('Models outside the price data (e.g. the offline mock), copied into the catalog as they are'),
    })
    .strict();
  return { modelSchema, catalogInputSchema };
});
