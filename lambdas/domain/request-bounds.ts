/**
 * Time bounds that budget holds are sized by: how long a request can hold budget before it
 * settles, and how long its settle can take to reach the store. A per-request reservation and a
 * lease both stay valid for at least their sum, so a live request's hold is never released under it.
 */

/** The longest a request runs: Lambda's hard maximum of 15 minutes (the local server's emulated deadline is the same). */
export const LONGEST_REQUEST_SECONDS = 15 * 60;

/**
 * The longest an answered request's settle takes to reach the store: metering's 5 attempts of at
 * most 2 × (1 s connect + 3 s request) each with ~1.5 s of backoff, plus the ≤ 1 s linger (~43 s), rounded up.
 */
export const WRITE_BACK_SECONDS = 60;
