/**
 * POST /v1/chat/completions, transport-agnostic: validate, route, call offers in order with
 * fallback before the first byte, stream or buffer the answer, and meter exactly once.
 */
import { chatRequestSchema, validate, type ChatRequest } from './chat-schema';
import type { Catalog } from './catalog';
import type { ProviderConfig } from './config';
import { ApiError, toApiError } from './errors';
import type { HttpResult } from './http';
import { newRequestId } from './ids';
import type { Limits } from './limits';
import type { Logger } from './log';
import type { ChatCompletionChunk, OpenAIUsage } from './openai-types';
import { costNanoUsd, nanoToUsd } from './pricing';
import { allProvidersFailed, logAttemptFailure, upstreamRejected } from './fallback';
import { finishMetering, ZERO_USAGE } from './metering';
import { boundedUsage, chatUsageBounds, type UsageBounds } from './usage-bounds';
import { assertModelKind } from './model-kind';
import { chatNeeds, planRoute, type RouteCandidate, type RoutingContext } from './routing';
import type { NormalizedUsage, ProviderAdapter, StreamEvent } from '../providers/types';
import { toOpenAIUsage as baseUsage } from '../providers/mapping-tables';
import { UpstreamError } from '../providers/types';
import type { UsageEvent } from '../store/usage-repo';

/** The authenticated caller, with the limits that apply to it. */
export interface Caller {
  accountId: string;
  keyId: string;
  accountLimits?: Limits;
  keyLimits?: Limits;
  /** The account objected to analytics (§6): kept out of anonymized statistics. */
  analyticsOptOut?: boolean;
}

/** Facts about the request's transport that metering records. */
export interface RequestMeta {
  /** The client's IP address; stored only sealed with the account's data key. */
  sourceIp?: string;
}

/** A budget/rate-limit hold taken before calling a provider and settled after. */
export interface Reservation {
  settle(actualCostNano: number, tokens: number): Promise<void>;
  /** The cost held for the request, in nano-USD (undefined when no budget applies). */
  reservedNanoUsd?: number;
  /** Rate-limit headers to return to the client. */
  headers: Record<string, string>;
}

/** Budgets and rate limits; absent means unlimited. */
export interface LimitsPort {
  /** Reserves a request's worst-case cost; throws a 429 ApiError if a limit would be exceeded. */
  reserve(caller: Caller, requestId: string, maxCostNano: number, maxTokens: number): Promise<Reservation>;
}

export interface ChatDeps {
  catalog: Catalog;
  usableProviders: ReadonlySet<string>;
  allowedJurisdictions?: readonly string[];
  allowedOfferRegions?: readonly string[];
  adapterFor(provider: ProviderConfig): ProviderAdapter;
  apiKeyFor(provider: ProviderConfig): string | undefined;
  fetch: typeof fetch;
  recordUsage(event: UsageEvent, options: { analytics: boolean }): Promise<unknown>;
  /** Seals a value (the client IP) with the account's data key; undefined if the account has none. */
  sealForAccount?(accountId: string, value: string): Promise<string | undefined>;
  limits?: LimitsPort;
  log: Logger;
  now(): Date;
}


/** OpenAI's usage object with OpenRouter's `cost` (USD). */
export function toOpenAIUsage(u: NormalizedUsage, costNano: number): OpenAIUsage {
  return { ...baseUsage(u), cost: nanoToUsd(costNano) };
}

/** The routing constraints of the deployment (catalog, usable providers, residency, §7). */
export function routingContext(deps: ChatDeps): RoutingContext {
  return {
    catalog: deps.catalog,
    usableProviders: deps.usableProviders,
    allowedJurisdictions: deps.allowedJurisdictions,
    allowedOfferRegions: deps.allowedOfferRegions,
  };
}

const sse = (data: unknown) => `data: ${JSON.stringify(data)}\n\n`;

/** Tracks one request from arrival to its single usage record. */
class RequestTrace {
  readonly requestId: string;
  readonly startedAt: Date;
  attempts = 0;
  firstByteAt: number | undefined;
  served: RouteCandidate | undefined;
  reservation: Reservation | undefined;
  usage: NormalizedUsage | undefined;
  outputChars = 0;
  /** What the current attempt could have used: upstream usage is bounded by it (usage-bounds.ts). */
  usageBounds: UsageBounds = { maxPromptTokens: 0, maxOutputTokens: 0 };
  status = 'ok';
  private recorded = false;

  constructor(
    private readonly deps: ChatDeps,
    readonly caller: Caller,
    readonly request: ChatRequest,
    readonly promptEstimate: number,
    /** The catalog id the request resolved to: stored instead of the raw `model` string the client sent. */
    readonly requestedModel: string,
    readonly meta: RequestMeta = {},
  ) {
    this.startedAt = deps.now();
    this.requestId = newRequestId(this.startedAt.getTime());
  }

  /** The usage to bill: the upstream's report, or without one (client left mid-stream, upstream omitted it) the estimate (see tokens.ts). */
  billedUsage(): NormalizedUsage {
    return this.usage ?? { ...ZERO_USAGE, promptTokens: this.promptEstimate, completionTokens: Math.ceil(this.outputChars / 3) };
  }

  /** Upstream usage as billed: validated, bounded, flagged and logged by field name (usage-bounds.ts). */
  bounded(reported: NormalizedUsage): NormalizedUsage {
    return boundedUsage(reported, this.usageBounds, this.deps.log, this.requestId);
  }

  /** Milliseconds on the injected clock. */
  clock(): number {
    return this.deps.now().getTime();
  }

  /** Writes the usage record (once) and settles the reservation. Never throws. */
  async finish(): Promise<void> {
    if (this.recorded || !this.served) return;
    this.recorded = true;
    const c = this.served;
    const source = this.usage ? 'upstream' : 'estimated';
    // Without upstream usage (client left mid-stream, upstream omitted it) bill the estimate: see tokens.ts.
    const usage = this.billedUsage();
    const cost = costNanoUsd(usage, c.offer.price);
    const end = this.deps.now().getTime();
    const event: UsageEvent = {
      requestId: this.requestId,
      accountId: this.caller.accountId,
      keyId: this.caller.keyId,
      at: this.startedAt.toISOString(),
      requestedModel: this.requestedModel,
      servedModel: c.model.id,
      provider: c.offer.provider.id,
      upstreamModel: c.offer.upstreamModel,
      stream: Boolean(this.request.stream),
      ...usage,
      costNanoUsd: cost,
      latencyMs: end - this.startedAt.getTime(),
      ttftMs: (this.firstByteAt ?? end) - this.startedAt.getTime(),
      status: this.status,
      usageSource: source,
      attempts: this.attempts,
    };
    await finishMetering(this.deps, event, { caller: this.caller, meta: this.meta, reservation: this.reservation });
  }
}

function servedHeaders(trace: RequestTrace, c: RouteCandidate): Record<string, string> {
  return {
    'x-request-id': trace.requestId,
    'x-ctr-provider': c.offer.provider.id,
    'x-ctr-model': c.model.id,
    'x-ctr-upstream-model': c.offer.upstreamModel,
    ...(trace.reservation?.headers ?? {}),
  };
}

/**
 * Handles a chat completion request for an authenticated caller.
 * Returns an HttpResult whose `afterResponse` writes the usage record.
 */
export async function chatCompletion(body: unknown, caller: Caller, deps: ChatDeps, clientSignal: AbortSignal, meta: RequestMeta = {}): Promise<HttpResult> {
  const request = validate(chatRequestSchema, body);
  assertModelKind(deps.catalog, request, 'chat');
  const needs = chatNeeds(request);
  const route = planRoute(request, needs, routingContext(deps));
  const trace = new RequestTrace(deps, caller, request, needs.promptTokens, route[0]!.model.id, meta);

  let lastError: UpstreamError | undefined;
  let unsupported: ApiError | undefined;
  for (const candidate of route) {
    if (deps.limits && !trace.reservation) {
      // Reserve once, at the most expensive candidate's worst case, so a fallback never overspends.
      const worst = Math.max(...route.map((r) => r.maxCostNano));
      const maxTokens = (needs.maxPromptTokens ?? needs.promptTokens) + Math.max(...route.map((r) => r.maxOutputTokens));
      trace.reservation = await deps.limits.reserve(caller, trace.requestId, worst, maxTokens);
    }
    trace.attempts++;
    const previous = trace.served;
    trace.served = candidate;
    const upstreamRequest: ChatRequest = {
      ...request,
      model: candidate.offer.upstreamModel,
      // Cap the output so the reservation bounds the cost.
      ...(request.max_completion_tokens || request.max_tokens ? {} : { max_tokens: candidate.maxOutputTokens }),
    };
    trace.usageBounds = chatUsageBounds(needs, upstreamRequest, candidate.maxOutputTokens);
    // Aborted when the client leaves, or when this attempt's stream goes silent for too long.
    const attemptAbort = new AbortController();
    const ctx = {
      provider: candidate.offer.provider,
      apiKey: deps.apiKeyFor(candidate.offer.provider),
      signal: AbortSignal.any([clientSignal, attemptAbort.signal]),
      fetch: deps.fetch,
    };
    const adapter = deps.adapterFor(candidate.offer.provider);
    try {
      if (request.stream) {
        const events = (await adapter.chatStream(upstreamRequest, ctx))[Symbol.asyncIterator]();
        // Hold back content-free opening chunks (the role announcement): until real output arrives, a
        // failure can still fall back to the next offer, because nothing has reached the client.
        const held: StreamEvent[] = [];
        const next = () => nextWithin(events, candidate.offer.provider, attemptAbort);
        let first = await next();
        while (!first.done && isPreamble(first.value)) {
          held.push(first.value);
          first = await next();
        }
        return streamResult(trace, candidate, held, first, events, next);
      }
      const result = await adapter.chat(upstreamRequest, ctx);
      result.usage = trace.bounded(result.usage);
      trace.firstByteAt = trace.clock();
      trace.usage = result.usage;
      const cost = costNanoUsd(result.usage, candidate.offer.price);
      const completion = {
        ...result.completion,
        id: `chatcmpl-${trace.requestId}`,
        model: candidate.model.id,
        provider: candidate.offer.provider.id,
        usage: toOpenAIUsage(result.usage, cost),
      };
      return {
        status: 200,
        headers: { 'content-type': 'application/json', ...servedHeaders(trace, candidate), 'x-ctr-cost-usd': nanoToUsd(cost).toString() },
        body: JSON.stringify(completion),
        afterResponse: () => trace.finish(),
      };
    } catch (err) {
      if (err instanceof ApiError && err.status === 400) {
        // The adapter cannot express this request for its provider (e.g. an image URL Bedrock cannot fetch);
        // nothing was sent upstream, so try the next offer.
        unsupported = err;
        trace.attempts--;
        trace.served = previous;
        continue;
      }
      if (!(err instanceof UpstreamError)) {
        trace.status = 'router_error';
        // Nothing says the provider produced anything: record the request without billing a guess.
        trace.usage = ZERO_USAGE;
        await trace.finish();
        throw toApiError(err);
      }
      logAttemptFailure(deps.log, trace.requestId, candidate, trace.attempts, err);
      lastError = err;
      if (err.reason === 'aborted') break;
      if (!err.retryable) {
        trace.status = 'upstream_rejected';
        trace.usage = ZERO_USAGE;
        await trace.finish();
        throw upstreamRejected(err, trace.requestId);
      }
    }
  }
  if (trace.attempts === 0 && unsupported) {
    // Nothing was sent anywhere: release the hold (a failure here leaves it to expire) and answer the 400.
    await trace.reservation?.settle(0, 0).catch(() => undefined);
    throw unsupported;
  }
  if (lastError?.reason === 'aborted') {
    // The client left while the provider was working: like a stream cut short, bill the estimate (flagged as such).
    trace.status = 'client_closed';
  } else {
    trace.status = 'upstream_error';
    trace.usage = ZERO_USAGE;
  }
  await trace.finish();
  throw allProvidersFailed(trace.attempts, lastError, trace.requestId);
}

/**
 * The upstream's next event, or an UpstreamError (`timeout`, retryable) when it stays silent for the
 * provider's timeout: the attempt is then aborted, so a stalled stream neither hangs the request
 * nor escapes metering. Before the first content this falls back to the next offer.
 */
async function nextWithin(events: AsyncIterator<StreamEvent>, provider: ProviderConfig, abort: AbortController): Promise<IteratorResult<StreamEvent>> {
  let timer: NodeJS.Timeout | undefined;
  const silence = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      abort.abort();
      reject(new UpstreamError(`${provider.id} sent nothing for ${provider.timeoutMs} ms`, 'timeout'));
    }, provider.timeoutMs);
  });
  try {
    return await Promise.race([events.next(), silence]);
  } finally {
    clearTimeout(timer);
  }
}

/** An event that carries no output yet: usage, or a chunk with a role announcement, empty content, no tool call, no finish. */
function isPreamble(ev: StreamEvent): boolean {
  return ev.type === 'usage' || ev.chunk.choices.every((c) => !c.delta.content && !c.delta.tool_calls?.length && !c.delta.refusal && !c.finish_reason);
}

function streamResult(
  trace: RequestTrace,
  candidate: RouteCandidate,
  held: StreamEvent[],
  first: IteratorResult<StreamEvent>,
  events: AsyncIterator<StreamEvent>,
  next: () => Promise<IteratorResult<StreamEvent>>,
): HttpResult {
  const request = trace.request;
  const model = candidate.model.id;
  const provider = candidate.offer.provider.id;
  const id = `chatcmpl-${trace.requestId}`;
  const rewrite = (chunk: ChatCompletionChunk): ChatCompletionChunk => ({ ...chunk, id, model, provider });

  /** The upstream's events: those held back before committing, the first one after them, then the rest. */
  async function* upstream(): AsyncGenerator<StreamEvent> {
    let complete = false;
    try {
      yield* held;
      if (!first.done) {
        yield first.value;
        for (let n = await next(); !n.done; n = await next()) yield n.value;
      }
      complete = true;
    } finally {
      // The client is gone: stop the upstream generation.
      if (!complete) await events.return?.().catch(() => undefined);
    }
  }

  async function* body(): AsyncGenerator<string> {
    let finished = false;
    try {
      for await (const ev of upstream()) {
        if (ev.type === 'usage') {
          trace.usage = trace.bounded(ev.usage);
          continue;
        }
        trace.firstByteAt ??= trace.clock();
        for (const choice of ev.chunk.choices) {
          trace.outputChars += (choice.delta.content ?? '').length;
          for (const t of choice.delta.tool_calls ?? []) trace.outputChars += (t.function?.arguments ?? '').length;
        }
        yield sse(rewrite(ev.chunk));
      }
      if (request.stream_options?.include_usage) {
        // The same usage the record bills (an estimate when the upstream sent none).
        const usage = trace.billedUsage();
        const cost = costNanoUsd(usage, candidate.offer.price);
        yield sse({ id, object: 'chat.completion.chunk', created: Math.floor(trace.startedAt.getTime() / 1000), model, provider, choices: [], usage: toOpenAIUsage(usage, cost) });
      }
      yield 'data: [DONE]\n\n';
      finished = true;
    } catch (err) {
      // After the first byte there is no fallback: end with an explicit error event, never a clean-looking end.
      trace.status = 'upstream_error';
      const reason = err instanceof UpstreamError ? err.message : 'stream failed';
      yield sse({ error: { message: `The provider failed mid-stream: ${reason}.`, type: 'upstream_error', param: null, code: 'stream_interrupted' } });
      finished = true;
    } finally {
      if (!finished) trace.status = 'client_closed';
    }
  }

  return {
    status: 200,
    headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', ...servedHeaders(trace, candidate) },
    body: body(),
    afterResponse: () => trace.finish(),
  };
}
