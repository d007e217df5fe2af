/**
 * Setup file of the compliance run of the cited tests (vitest.cited.config.ts): after each test,
 * stores how many assertions it made in the test's meta, which vitest's JSON reporter writes out
 * with the test (`assertionResults[].meta.assertionCalls`). `cited-tests.ts` reads it back.
 *
 * The CDK's `Template` assertions (`hasResourceProperties`, `templateMatches`, …) throw on a
 * mismatch without going through `expect`, so each call is counted as one assertion too; a test
 * whose checks never ran (an empty loop, an early return) still counts zero.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { afterEach, expect } from 'vitest';

const TEMPLATE_ASSERTIONS = [
  'templateMatches',
  'hasResource',
  'hasResourceProperties',
  'resourceCountIs',
  'resourcePropertiesCountIs',
  'allResources',
  'allResourcesProperties',
  'hasOutput',
  'hasParameter',
  'hasMapping',
  'hasCondition',
] as const;

const proto = Template.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
for (const name of TEMPLATE_ASSERTIONS) {
  const original = proto[name];
  if (typeof original !== 'function' || (original as { counted?: boolean }).counted) continue;
  const counted = function (this: unknown, ...args: unknown[]) {
    expect.setState({ assertionCalls: expect.getState().assertionCalls + 1 });
    return original.apply(this, args);
  };
  (counted as { counted?: boolean }).counted = true;
  proto[name] = counted;
}

afterEach((ctx) => {
  (ctx.task.meta as { assertionCalls?: number }).assertionCalls = expect.getState().assertionCalls;
});
