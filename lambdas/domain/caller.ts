/** Who is calling, with the limits that apply to it, and what the transport tells about the request. */

/** Per-key and per-account limits. Budgets are held in integer nano-USD. */
export interface Limits {
  /** Requests per minute. */
  rpm?: number;
  /** Tokens (prompt + output allowance) per minute. */
  tpm?: number;
  dailyBudgetNanoUsd?: number;
  monthlyBudgetNanoUsd?: number;
  /**
   * When these limits were last set (epoch ms; absent before any change). It orders a change
   * against the copy of the limit that the budget and rate counters carry: the newer one wins
   * (store/lease-repo.ts), so an instance's cached limits never override a change it has not seen.
   */
  setAt?: number;
}

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
