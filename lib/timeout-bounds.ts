/**
 * The waits of one deployment, checked against each other before anything is synthesized: a
 * provider's silence bound (`providers[].timeoutMs`, the longest wait for the next stream event) must
 * leave the streamed function time to end the stream with its error event and meter it
 * (`DEADLINE_MARGIN_MS`), and must stay under API Gateway's idle limit for a streamed REST response
 * (5 minutes without a byte), or the client would be cut off with no error event at all.
 */
import type { RouterConfig } from '../lambdas/core/config';

/** API Gateway closes a streamed REST response after this long without a byte. */
export const REST_STREAM_IDLE_SECONDS = 300;

/**
 * One line per provider whose silence bound does not fit the deployment's waits.
 *
 * @example
 * timeoutProblems(config, 600, 10_000) // ['provider groq: timeoutMs 900000 is above API Gateway's 300 s idle limit for streams …']
 */
export function timeoutProblems(config: RouterConfig, streamTimeoutSeconds: number, marginMs: number): string[] {
  const problems: string[] = [];
  const functionBoundMs = streamTimeoutSeconds * 1000 - marginMs;
  for (const p of config.providers) {
    if (p.timeoutMs > REST_STREAM_IDLE_SECONDS * 1000)
      problems.push(
        `provider ${p.id}: timeoutMs ${p.timeoutMs} is above API Gateway's ${REST_STREAM_IDLE_SECONDS} s idle limit for streams (the client would be cut off without an error event); use at most ${REST_STREAM_IDLE_SECONDS * 1000}`,
      );
    if (p.timeoutMs >= functionBoundMs)
      problems.push(
        `provider ${p.id}: timeoutMs ${p.timeoutMs} leaves the streamed function (timeout ${streamTimeoutSeconds} s) less than ${marginMs} ms to end the stream and meter it; use less than ${functionBoundMs}`,
      );
  }
  return problems;
}
