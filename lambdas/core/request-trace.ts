/**
 * One request from arrival to its single usage record, shared by every pipeline that calls
 * providers (chat, embeddings, and /v1/messages through chat). Holds ids, counts and timings only.
 */
import type { Caller, RequestMeta } from '../domain/caller';
import { nanoToUsd } from '../domain/money';
import type { OpenAIUsage } from '../domain/openai';
import type { Reservation } from '../domain/ports';
import { type NormalizedUsage, toOpenAIUsage, type UsageEvent, ZERO_USAGE } from '../domain/usage';
import type { HealthMonitor } from './health';
import { newRequestId } from './ids';
import { finishMetering, type MeteringDeps } from './metering';
import type { StageTimings } from './outcome';
import { costNanoUsd } from './pricing';
import type { RouteCandidate } from './routing';
import { referenceCostNanoUsd } from './savings';
import { boundedUsage, type UsageBounds } from './usage-bounds';

/** How a request ended, as its usage record says. */
export type RequestStatus = 'ok' | 'client_closed' | 'upstream_error' | 'upstream_rejected' | 'router_error';

export interface TraceDeps extends MeteringDeps {
  now(): Date;
  health?: HealthMonitor;
}

export class RequestTrace {
  readonly requestId: string;
  readonly startedAt: Date;
  /** Offers called so far (an offer that could not express the request is not counted). */
  attempts = 0;
  firstByteAt: number | undefined;
  /** The offer that answered, or the last one called. */
  served: RouteCandidate | undefined;
  reservation: Reservation | undefined;
  /** Set when an offer answered: when its attempt started (for the health of the served offer). */
  answered: { startedAt: number } | undefined;
  /** Usage the upstream reported; without one the estimate is billed (see `billedUsage`). */
  usage: NormalizedUsage | undefined;
  /** What the current attempt could have used: upstream usage is bounded by it (usage-bounds.ts). */
  usageBounds: UsageBounds = { maxPromptTokens: 0, maxOutputTokens: 0 };
  /** Characters of output streamed so far, for the estimate when the upstream reports no usage. */
  outputChars = 0;
  status: RequestStatus = 'ok';
  /** The planned route: the requested model's offers in it price the reference cost (savings). */
  route: readonly RouteCandidate[] = [];
  /** Milliseconds per stage so far (Server-Timing). */
  readonly timing: StageTimings = {};
  private recorded = false;

  constructor(
    private readonly deps: TraceDeps,
    readonly caller: Caller,
    /** The catalog id the request resolved to: stored instead of the raw `model` string the client sent. */
    readonly requestedModel: string,
    readonly promptEstimate: number,
    readonly stream: boolean,
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

  /** The cost of a usage at the served offer's price, in nano-USD. */
  costOf(usage: NormalizedUsage): number {
    return this.served ? costNanoUsd(usage, this.served.offer.price) : 0;
  }

  /** OpenAI's usage object with OpenRouter's `cost` (USD) at the served offer's price. */
  openAIUsage(usage: NormalizedUsage): OpenAIUsage {
    return { ...toOpenAIUsage(usage), cost: nanoToUsd(this.costOf(usage)) };
  }

  /** Adds the time since `startedAt` (a `performance.now()` reading) to a stage. */
  timed(stage: keyof StageTimings, startedAt: number): void {
    this.timing[stage] = (this.timing[stage] ?? 0) + (performance.now() - startedAt);
  }

  /** Milliseconds on the injected clock. */
  clock(): number {
    return this.deps.now().getTime();
  }

  /** Ends the request with a status and a usage (nothing billed by default), then records it. */
  async fail(status: RequestStatus, usage: NormalizedUsage = ZERO_USAGE): Promise<void> {
    this.status = status;
    this.usage = usage;
    await this.finish();
  }

  /** Writes the usage record (once) and settles the reservation. Never throws. */
  async finish(): Promise<void> {
    if (this.recorded || !this.served) return;
    this.recorded = true;
    const c = this.served;
    const source = this.usage ? 'upstream' : 'estimated';
    const usage = this.billedUsage();
    const end = this.deps.now().getTime();
    const cost = this.costOf(usage);
    const event: UsageEvent = {
      requestId: this.requestId,
      accountId: this.caller.accountId,
      keyId: this.caller.keyId,
      at: this.startedAt.toISOString(),
      requestedModel: this.requestedModel,
      servedModel: c.model.id,
      provider: c.offer.provider.id,
      upstreamModel: c.offer.upstreamModel,
      stream: this.stream,
      ...usage,
      costNanoUsd: cost,
      referenceCostNanoUsd: referenceCostNanoUsd(this.route.length ? this.route : [c], this.requestedModel, usage, cost),
      latencyMs: end - this.startedAt.getTime(),
      ttftMs: (this.firstByteAt ?? end) - this.startedAt.getTime(),
      status: this.status,
      usageSource: source,
      attempts: this.attempts,
    };
    this.recordHealth(usage, end);
    await finishMetering(this.deps, event, { caller: this.caller, meta: this.meta, reservation: this.reservation });
  }

  /** The served offer's outcome for the breakers: an answer, or a stream that failed after its first byte. */
  private recordHealth(usage: NormalizedUsage, end: number): void {
    const health = this.deps.health;
    if (!health || !this.answered || !this.served || (this.status !== 'ok' && this.status !== 'upstream_error')) return;
    const offerId = this.served.offer.id;
    if (this.status === 'upstream_error') {
      health.record({ offerId, ok: false, failure: 'error' });
      return;
    }
    const first = this.firstByteAt ?? end;
    health.record({
      offerId,
      ok: true,
      ttftMs: first - this.answered.startedAt,
      // Speed is measured on streams only: a buffered answer has no first byte before its last.
      ...(this.stream && this.firstByteAt !== undefined ? { outputTokens: usage.completionTokens, generationMs: end - first } : {}),
    });
    void health.sync();
  }
}
