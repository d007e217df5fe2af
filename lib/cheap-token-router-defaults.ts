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
} as const;

/** Defaults of the data layer (`RouterData`). */
export const DATA_DEFAULTS = {
  /** Point-in-time recovery window in days (1-35). Erasure reaches it through crypto-shredding. */
  pitrRecoveryPeriodDays: 35,
} as const;
