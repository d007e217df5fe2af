/**
 * Defaults of the router constructs. Pure data: no constructs, no AWS calls, so a platform team
 * (and the tests) can read what a deployment gets without synthesizing it.
 */

/** Defaults shared by the key, data and router constructs. */
export const NAMING_DEFAULTS = {
  /** Prefix of physical names: tables `ctr-<table>`, secret `ctr/provider-credentials`, alias `alias/ctr-data`. */
  namePrefix: 'ctr',
  /** Prefix of stack names: `Ctr-Key-<region>`, `Ctr-Data`, `Ctr-Router-<region>`. */
  stackPrefix: 'Ctr',
} as const;

/** Defaults of the regional router (`CheapTokenRouter`). */
export const ROUTER_DEFAULTS = {
  /** The functions mostly wait on upstream providers; memory is billed for that wait, so keep it small. */
  memorySizeMb: 256,
  /**
   * How long a streamed chat request may run (API Gateway integration timeout and the chat
   * function's timeout). Streaming REST integrations allow up to 15 minutes.
   */
  streamTimeoutSeconds: 600,
  /** Timeout of the buffered routes (API Gateway's default REST integration limit). */
  bufferedTimeoutSeconds: 29,
  /** Stage name; the OpenAI base URL is `https://<api>/<stage>/v1`. */
  stageName: 'prod',
  /** Stage-wide steady-state request rate (requests per second). */
  throttlingRateLimit: 100,
  /** Stage-wide burst (requests). */
  throttlingBurstLimit: 200,
  /** Retention of the function, access and execution logs, in days (a CloudWatch Logs retention value). */
  logRetentionDays: 30,
  /** WAF is off by default: it has a fixed monthly cost, and per-key rate limits already live in the functions. */
  wafEnabled: false,
  /** Requests per source IP per 5-minute window before the WAF rate-based rule blocks. */
  wafRateLimitPer5Min: 2000,
  /** API Gateway execution logging at ERROR level (never INFO, never data trace, which would log bodies). */
  executionLogging: true,
  /** Create the account-level API Gateway CloudWatch role (required for API Gateway to write logs). */
  manageApiGatewayAccountRole: true,
  /** One CloudWatch dashboard per region (free up to three per account, then a small monthly fee each). */
  dashboard: true,
} as const;

/**
 * Defaults of the regional router's CloudWatch alarms (`CheapTokenRouterProps.alarms`). Alarms
 * exist by default; they notify only when an alarm topic or e-mail address is given.
 */
export const ALARM_DEFAULTS = {
  /** Create the alarms. */
  enabled: true,
  /** Period of every alarm's metric, in seconds. */
  periodSeconds: 300,
  /** Periods looked at by the "sustained" alarms (API 5XX, function errors, function duration). */
  evaluationPeriods: 3,
  /** Of those, how many must breach before the alarm fires: errors in 2 of the last 3 five-minute periods. */
  datapointsToAlarm: 2,
  /** API Gateway 5XX responses, as a percentage of all requests in a period, above which the API alarm breaches. */
  apiErrorRatePercent: 5,
  /** Fewest 5XX responses in a period for the rate to count, so one failed request on a quiet API does not page anyone. */
  apiErrorMinCount: 3,
  /**
   * API Gateway Latency p99 alarm threshold in milliseconds; `undefined` means no latency alarm. Streamed
   * chat requests count their whole generation as latency, so a useful threshold depends on the traffic.
   */
  apiLatencyP99Ms: undefined as number | undefined,
  /** A function's Duration p99 above this percentage of its timeout breaches (requests are about to be cut off). */
  durationP99PercentOfTimeout: 80,
  /** Provider fallbacks (Powertools metric `Fallbacks`, all models) per period that breach the sustained fallback alarm. */
  fallbacksPerPeriod: 20,
} as const;

/**
 * Metrics the router derives from its own JSON log lines (`lambdas/core/log.ts`) with CloudWatch
 * Logs metric filters: the `message` each one counts, and its metric name.
 */
export const LOG_METRICS = {
  /** A usage record could not be written after every retry: a request was served but not metered. */
  usageRecordFailed: { message: 'usage record failed', metricName: 'UsageRecordFailed' },
  /** A budget reservation could not be settled after every retry: the spend never reached the budget. */
  reservationSettleFailed: { message: 'reservation settle failed', metricName: 'ReservationSettleFailed' },
} as const;

/** Namespace of the router's metrics (Powertools EMF and log-derived); the name prefix is appended (`CheapTokenRouter/ctr`). */
export const METRIC_NAMESPACE = 'CheapTokenRouter';

/** Defaults of the data layer (`RouterData`). */
export const DATA_DEFAULTS = {
  /** Point-in-time recovery window in days (1-35). Erasure reaches it through crypto-shredding. */
  pitrRecoveryPeriodDays: 35,
} as const;
