/**
 * The router's metrics, by name. Core code reports what happened through these functions; the
 * handlers plug in a sink (Powertools Metrics, EMF — `handlers/observability.ts`). Dimensions are
 * ids (model, provider, state), never content. Every metric and dimension name lives here, so the
 * dashboard and alarms (`lib/router-metrics.ts`) read the same names the functions emit.
 */

/** Service name of logs and metrics (the `service` key and EMF dimension). */
export const SERVICE_NAME = 'cheap-token-router';

/** Metric names (CloudWatch), shared with the CDK side. */
export const METRIC_NAMES = {
  requests: 'Requests',
  failedRequests: 'FailedRequests',
  promptTokens: 'PromptTokens',
  completionTokens: 'CompletionTokens',
  costUsd: 'CostUsd',
  fallbacks: 'Fallbacks',
  breakerOpen: 'BreakerOpen',
  outboxDepth: 'OutboxDepth',
  budgetAlerts: 'BudgetAlerts',
} as const;

/** Dimension names. */
export const METRIC_DIMENSIONS = { model: 'model', provider: 'provider' } as const;

export type MetricName = (typeof METRIC_NAMES)[keyof typeof METRIC_NAMES];
export type MetricUnit = 'Count' | 'None';

/**
 * One batch of values recorded under each of its dimension sets (one EMF record: CloudWatch files
 * the values under every set). Each set gets the `service` dimension; `{}` is the service alone.
 */
export interface MetricPoint {
  dimensionSets: ReadonlyArray<Readonly<Record<string, string>>>;
  values: ReadonlyArray<{ name: MetricName; unit: MetricUnit; value: number }>;
}

/** Where metrics go. Implementations must never throw into the request path. */
export interface MetricsSink {
  emit(point: MetricPoint): void;
}

/** A sink that drops everything (tests, tools). */
export const NO_METRICS: MetricsSink = { emit: () => undefined };

/** A metered request's numbers (what `finishMetering` logs). */
export interface RequestMetrics {
  model: string;
  provider: string;
  ok: boolean;
  promptTokens: number;
  completionTokens: number;
  costNanoUsd: number;
}

/**
 * Requests, tokens and cost of one metered request, by model and provider.
 *
 * @example
 * recordRequestMetrics(sink, { model: 'gpt-4o-mini', provider: 'openai', ok: true, promptTokens: 12, completionTokens: 3, costNanoUsd: 4500 });
 */
export function recordRequestMetrics(sink: MetricsSink, m: RequestMetrics): void {
  const values: MetricPoint['values'] = [
    { name: METRIC_NAMES.requests, unit: 'Count', value: 1 },
    { name: METRIC_NAMES.failedRequests, unit: 'Count', value: m.ok ? 0 : 1 },
    { name: METRIC_NAMES.promptTokens, unit: 'Count', value: m.promptTokens },
    { name: METRIC_NAMES.completionTokens, unit: 'Count', value: m.completionTokens },
    // Cost stays integer nano-USD everywhere else; the metric is USD for people to read.
    { name: METRIC_NAMES.costUsd, unit: 'None', value: m.costNanoUsd / 1e9 },
  ];
  byModelAndTotal(sink, m, values);
}

/**
 * Emits values by model and provider (dashboard) and with no dimension but the service (alarms,
 * totals), in one record with both dimension sets: half the bytes and work of a record for each.
 */
function byModelAndTotal(sink: MetricsSink, at: { model: string; provider: string }, values: MetricPoint['values']): void {
  sink.emit({ dimensionSets: [{ [METRIC_DIMENSIONS.model]: at.model, [METRIC_DIMENSIONS.provider]: at.provider }, {}], values });
}

/**
 * One fallback: the offer of `provider` failed and the router moved on to the next one.
 *
 * @example
 * recordFallback(sink, { model: 'gpt-4o-mini', provider: 'groq' });
 */
export function recordFallback(sink: MetricsSink, at: { model: string; provider: string }): void {
  byModelAndTotal(sink, at, [{ name: METRIC_NAMES.fallbacks, unit: 'Count', value: 1 }]);
}

/**
 * A circuit breaker's state for one offer: 1 while open (the offer is skipped), 0 when closed.
 *
 * @example
 * recordBreakerState(sink, { model: 'gpt-4o-mini', provider: 'groq', open: true });
 */
export function recordBreakerState(sink: MetricsSink, at: { model: string; provider: string; open: boolean }): void {
  sink.emit({
    dimensionSets: [{ [METRIC_DIMENSIONS.model]: at.model, [METRIC_DIMENSIONS.provider]: at.provider }],
    values: [{ name: METRIC_NAMES.breakerOpen, unit: 'Count', value: at.open ? 1 : 0 }],
  });
}

/**
 * Records waiting in the metering outbox (usage records and settlements not yet written).
 *
 * @example
 * recordOutboxDepth(sink, 3);
 */
export function recordOutboxDepth(sink: MetricsSink, depth: number): void {
  sink.emit({ dimensionSets: [{}], values: [{ name: METRIC_NAMES.outboxDepth, unit: 'Count', value: depth }] });
}

/**
 * One budget-alert notification sent (a threshold crossed for the first time in a period).
 *
 * @example
 * recordBudgetAlert(sink);
 */
export function recordBudgetAlert(sink: MetricsSink): void {
  sink.emit({ dimensionSets: [{}], values: [{ name: METRIC_NAMES.budgetAlerts, unit: 'Count', value: 1 }] });
}

let processSink: MetricsSink = NO_METRICS;

/** The process's sink (set once by the handler's observability middleware; a no-op until then). */
export function processMetrics(): MetricsSink {
  return processSink;
}

/** Sets the process's sink (`handlers/observability.ts`, the local server, tests). */
export function setProcessMetrics(sink: MetricsSink): void {
  processSink = sink;
}
