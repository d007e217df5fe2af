/**
 * Setup file of the compliance run of the cited tests (vitest.cited.config.ts): after each test,
 * stores how many assertions it made in the test's meta, which vitest's JSON reporter writes out
 * with the test (`assertionResults[].meta.assertionCalls`). `cited-tests.ts` reads it back.
 */
import { afterEach, expect } from 'vitest';

afterEach((ctx) => {
  (ctx.task.meta as { assertionCalls?: number }).assertionCalls = expect.getState().assertionCalls;
});
