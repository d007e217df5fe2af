/** Refusal counts: what the router counts of the requests it refused (core/refusals.ts) and the store port that keeps them. */

/** One batch of counts to add: `accountId` undefined for callers that were never authenticated. */
export interface RefusalCount {
  accountId?: string;
  keyId?: string;
  /** The hour, `YYYY-MM-DDTHH:00` (UTC). */
  hour: string;
  /** `<status>-<code>`, e.g. `429-budget-exceeded`. */
  reason: string;
  count: number;
}

export interface RefusalStore {
  add(counts: readonly RefusalCount[]): Promise<void>;
}
