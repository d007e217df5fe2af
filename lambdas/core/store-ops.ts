/**
 * Store (DynamoDB) round trips per chat request with limits, as counted over real sockets by
 * test/integration/store-ops.test.ts (which fails if these drift). A warm key with an RPM limit
 * and budgets on the key and its account; buffered request; local mode (one region).
 * `npm run cost` reads these to price the store per request.
 */
export const STORE_OPS_PER_REQUEST = {
  /**
   * With leases: no call before the first byte while the slices cover the request; after the last
   * byte the usage record (transaction), the anonymized statistics (update) and the budget
   * write-back (transaction; shared by every settle close in time, so fewer under concurrency).
   */
  leases: { beforeFirstByte: 0, afterWrites: 3, afterReads: 0 },
  /**
   * Per-request reservations (before leases): two rate windows then the reservation transaction, in
   * sequence, before the first byte; after it the usage record, the statistics, the settle
   * transaction and a token correction per rate window.
   */
  reservations: { beforeFirstByte: 3, afterWrites: 5, afterReads: 0 },
} as const;
