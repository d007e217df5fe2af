/**
 * Routing: from a request's `model` / `models` / `provider` fields to the ordered list of
 * offers to try. Pure: takes the catalog and the set of usable providers, does no I/O.
 *
 * Follows OpenRouter's request schema: `provider/model` pins an offer, `:floor` sorts by price,
 * `:nitro` by throughput, `models` is a fallback list, and the `provider` object filters and
 * orders offers.
 */

import { type KindLimitedParameter, kindSupports, PARAMETER_SUPPORT, parametersUsed } from '../domain/chat-params';
import type { ChatRequest, ProviderPreferences } from '../domain/chat-request';
import { RouterError } from '../domain/errors';
import { usdToNano } from '../domain/money';
import type { Catalog, CatalogModel, Offer } from './catalog';
import { unavailableReason } from './models';
import { estimateCostNanoUsd, maxCostNanoUsd } from './pricing';
import { estimatePromptTokens, maxPromptTokens, usesImages } from './tokens';

/** Output tokens assumed when the request sets no limit, to rank offers by a request's likely cost. */
export const ASSUMED_OUTPUT_TOKENS = 512;

/** What a request needs from an offer. */
export interface RequestNeeds {
  promptTokens: number;
  /** A strict upper bound of the prompt tokens (budget reservations); defaults to promptTokens. */
  maxPromptTokens?: number;
  /** max_completion_tokens / max_tokens, if the request set one. */
  requestedOutput: number | undefined;
  tools: boolean;
  vision: boolean;
  jsonMode: boolean;
  structuredOutput: boolean;
  /** Parameters the request uses that only some provider kinds take (domain/chat-params.ts). */
  parameters?: readonly KindLimitedParameter[];
}

export interface RouteCandidate {
  offer: Offer;
  /** The catalog model the client asked for (the response's `model`). */
  model: CatalogModel;
  /** Estimated cost in nano-USD: estimated prompt + requested (or assumed) output. */
  estimatedCostNano: number;
  /** Worst-case cost in nano-USD: the prompt's token upper bound + the full output allowance (budget reservations). */
  maxCostNano: number;
  /** The output allowance sent upstream when the request set none: the offer's max output. */
  maxOutputTokens: number;
}

export interface RoutingContext {
  catalog: Catalog;
  /** Provider ids that can be called (credentials present). */
  usableProviders: ReadonlySet<string>;
  /** If set, only providers in these jurisdictions (policy §7). */
  allowedJurisdictions?: readonly string[];
  /** If set, only offers that declare one of these regions (policy §7). */
  allowedOfferRegions?: readonly string[];
  /** Offer health: measured sorts and tie-breaks (absent: configured typical values). */
  health?: HealthSignals;
}

/** Derives what a chat request needs from the offer that serves it. */
export function chatNeeds(request: ChatRequest): RequestNeeds {
  return {
    promptTokens: estimatePromptTokens(request),
    maxPromptTokens: maxPromptTokens(request),
    requestedOutput: request.max_completion_tokens ?? request.max_tokens ?? undefined,
    tools: (request.tools?.length ?? 0) > 0,
    vision: usesImages(request),
    jsonMode: request.response_format?.type === 'json_object',
    structuredOutput: request.response_format?.type === 'json_schema',
    parameters: parametersUsed(request),
  };
}

type Sort = NonNullable<ProviderPreferences['sort']>;

interface ModelSpec {
  model: CatalogModel;
  /** Set when the spec pinned one offer (`provider/model`). */
  pinned?: Offer;
  sort?: Sort;
}

/** Resolves one `model` string to a catalog model (and maybe a pinned offer). */
export function resolveModelSpec(catalog: Catalog, spec: string): ModelSpec | undefined {
  let name = spec;
  let sort: Sort | undefined;
  if (name.endsWith(':floor')) [name, sort] = [name.slice(0, -6), 'price'];
  else if (name.endsWith(':nitro')) [name, sort] = [name.slice(0, -6), 'throughput'];
  const model = catalog.models.get(name);
  if (model) return { model, sort };
  const slash = name.indexOf('/');
  if (slash <= 0) return undefined;
  const providerId = name.slice(0, slash);
  const rest = name.slice(slash + 1);
  if (!catalog.providers.has(providerId)) return undefined;
  // Searched in the config, so that only the matching model's offers are built (catalog.ts).
  for (const m of catalog.models.values()) {
    const i = m.config.offers.findIndex((o) => o.provider === providerId && (o.upstreamModel === rest || m.id === rest));
    if (i >= 0) return { model: m, pinned: m.offers[i], sort };
  }
  return undefined;
}

const usd = (nano: number) => `$${(nano / 1e9).toFixed(6)}`;

/** Why an offer cannot take a parameter the request uses, naming the parameter. */
function parameterExclusion(offer: Offer, needs: RequestNeeds): { text: string; param: KindLimitedParameter } | undefined {
  for (const param of needs.parameters ?? []) {
    if (kindSupports(offer.provider.kind, param)) continue;
    const support = PARAMETER_SUPPORT[param] as { refusal?: string };
    return { text: support.refusal ?? `${offer.id} does not support ${param}`, param };
  }
  return undefined;
}

/** Why an offer cannot serve a request, or undefined if it can. */
function exclusionReason(
  offer: Offer,
  needs: RequestNeeds,
  prefs: ProviderPreferences | undefined,
  ctx: RoutingContext,
): { text: string; param?: KindLimitedParameter } | undefined {
  const why = requirementReason(offer, needs, prefs, ctx);
  return why ? { text: why } : parameterExclusion(offer, needs);
}

/** Why an offer cannot serve a request by where it is, what it costs or what it can express (parameters aside). */
function requirementReason(
  offer: Offer,
  needs: RequestNeeds,
  prefs: ProviderPreferences | undefined,
  ctx: RoutingContext,
): string | undefined {
  const p = offer.provider;
  const caps = offer.capabilities;
  const unavailable = unavailableReason(offer, ctx);
  if (unavailable) return unavailable;
  if (prefs?.only && !prefs.only.includes(p.id)) return `provider ${p.id} is not in provider.only`;
  if (prefs?.ignore?.includes(p.id)) return `provider ${p.id} is in provider.ignore`;
  if (prefs?.data_collection === 'deny' && p.dataCollection === 'allow')
    return `provider ${p.id} may retain data (provider.data_collection=deny)`;
  if (needs.tools && !caps.tools) return `${offer.id} does not support tools`;
  if (needs.vision && !caps.vision) return `${offer.id} does not accept images`;
  if (needs.jsonMode && !(caps.jsonMode || caps.structuredOutput)) return `${offer.id} does not support response_format json_object`;
  if (needs.structuredOutput && !caps.structuredOutput) return `${offer.id} does not support response_format json_schema`;
  if (needs.requestedOutput !== undefined && needs.requestedOutput > offer.maxOutput)
    return `${offer.id} allows at most ${offer.maxOutput} output tokens`;
  if (needs.promptTokens + (needs.requestedOutput ?? 0) > offer.contextWindow)
    return `${offer.id} has a ${offer.contextWindow}-token context window; the request needs about ${needs.promptTokens + (needs.requestedOutput ?? 0)}`;
  const max = prefs?.max_price;
  if (max?.prompt !== undefined && offer.price.input > Math.round(max.prompt * 1e6))
    return `${offer.id} input price is above provider.max_price.prompt`;
  if (max?.completion !== undefined && offer.price.output > Math.round(max.completion * 1e6))
    return `${offer.id} output price is above provider.max_price.completion`;
  if (max?.request !== undefined) {
    const worst = maxCostNanoUsd(needs.promptTokens, needs.requestedOutput ?? offer.maxOutput, offer.price);
    if (worst > usdToNano(max.request)) return `${offer.id} could cost up to ${usd(worst)}, above provider.max_price.request`;
  }
  return undefined;
}

function candidate(offer: Offer, model: CatalogModel, needs: RequestNeeds): RouteCandidate {
  const expectedOutput = needs.requestedOutput ?? Math.min(ASSUMED_OUTPUT_TOKENS, offer.maxOutput);
  const maxOutputTokens = needs.requestedOutput ?? offer.maxOutput;
  return {
    offer,
    model,
    estimatedCostNano: estimateCostNanoUsd(needs.promptTokens, expectedOutput, offer.price),
    maxCostNano: maxCostNanoUsd(needs.maxPromptTokens ?? needs.promptTokens, maxOutputTokens, offer.price),
    maxOutputTokens,
  };
}

/** What routing reads of offer health: measured speeds (once there are enough samples) and error rates. */
export interface HealthSignals {
  measured(offerId: string): { ttftMs?: number; tokensPerSecond?: number };
  errorRate(offerId: string): number;
}

function compare(sort: Sort, health: HealthSignals | undefined): (a: RouteCandidate, b: RouteCandidate) => number {
  // Measured values when there are enough samples, the configured typical values otherwise.
  const latency = (c: RouteCandidate) => health?.measured(c.offer.id).ttftMs ?? c.offer.config.latencyMs ?? Infinity;
  const throughput = (c: RouteCandidate) => health?.measured(c.offer.id).tokensPerSecond ?? c.offer.config.throughputTps ?? 0;
  const errors = (c: RouteCandidate) => health?.errorRate(c.offer.id) ?? 0;
  switch (sort) {
    case 'latency':
      return (a, b) => latency(a) - latency(b) || a.estimatedCostNano - b.estimatedCostNano;
    case 'throughput':
      return (a, b) => throughput(b) - throughput(a) || a.estimatedCostNano - b.estimatedCostNano;
    case 'price':
      // Equal-cost offers: the healthier first, then the faster.
      return (a, b) => a.estimatedCostNano - b.estimatedCostNano || errors(a) - errors(b) || latency(a) - latency(b);
  }
}

/**
 * The ordered offers to try for a request. Throws a 404 for an unknown model and a 400 that
 * says why when no offer can serve the request.
 *
 * @example
 * const route = planRoute({ model: 'meta-llama/llama-3.3-70b-instruct' }, chatNeeds(req), ctx);
 * route[0].offer.provider.id // the cheapest usable provider for this request
 */
export function planRoute(
  request: { model: string; models?: string[] | undefined; provider?: ProviderPreferences | undefined },
  needs: RequestNeeds,
  ctx: RoutingContext,
): RouteCandidate[] {
  const prefs = request.provider;
  const specs: string[] = [];
  for (const s of [request.model, ...(request.models ?? [])]) if (!specs.includes(s)) specs.push(s);

  const route: RouteCandidate[] = [];
  const reasons: string[] = [];
  /** The parameter that excluded offers, if one did. */
  let refusedParam: KindLimitedParameter | undefined;
  // Offers that no request could use here (no credential, jurisdiction, region) against all offers considered.
  let unusable = 0;
  let considered = 0;
  let resolved = 0;
  for (const spec of specs) {
    const resolvedSpec = resolveModelSpec(ctx.catalog, spec);
    if (!resolvedSpec) continue;
    resolved++;
    const { model, pinned } = resolvedSpec;
    const eligible: RouteCandidate[] = [];
    for (const offer of pinned ? [pinned] : model.offers) {
      considered++;
      if (unavailableReason(offer, ctx)) unusable++;
      const why = exclusionReason(offer, needs, prefs, ctx);
      if (!why) eligible.push(candidate(offer, model, needs));
      else {
        reasons.push(why.text);
        refusedParam ??= why.param;
      }
    }
    eligible.sort(compare(resolvedSpec.sort ?? prefs?.sort ?? 'price', ctx.health));
    let ordered = eligible;
    if (prefs?.order?.length) {
      const rank = (c: RouteCandidate) => {
        const i = prefs.order!.indexOf(c.offer.provider.id);
        return i < 0 ? Infinity : i;
      };
      ordered = [...eligible].sort((a, b) => rank(a) - rank(b));
      if (prefs.allow_fallbacks === false) {
        for (const c of ordered)
          if (rank(c) === Infinity)
            reasons.push(`provider ${c.offer.provider.id} is not in provider.order and provider.allow_fallbacks is false`);
        ordered = ordered.filter((c) => rank(c) !== Infinity);
      }
    } else if (prefs?.allow_fallbacks === false) {
      ordered = ordered.slice(0, 1);
    }
    for (const c of ordered) if (!route.some((r) => r.offer === c.offer)) route.push(c);
  }

  if (resolved === 0) {
    throw RouterError.notFound(
      `The model \`${request.model}\` does not exist in this router's catalog. GET /v1/models lists the models.`,
      'model',
      'model_not_found',
    );
  }
  if (route.length === 0) {
    const unique = [...new Set(reasons)];
    if (!unique.length) unique.push('no offer of the requested models is left after provider routing');
    if (unusable === considered) {
      throw RouterError.notFound(
        `The model \`${request.model}\` is in the catalog but this deployment cannot serve it: ${unique.join('; ')}. GET /v1/models?all=true shows every offer and why it is unusable.`,
        'model',
        'model_not_available',
      );
    }
    // A parameter no offer left can take: the 400 names it (param, code), as OpenAI does for an unsupported parameter.
    throw new RouterError('no_eligible_offer', `No provider can serve this request: ${unique.join('; ')}.`, {
      param: refusedParam ?? 'model',
      code: refusedParam ? 'unsupported_parameter' : 'no_eligible_offer',
    });
  }
  return route;
}
