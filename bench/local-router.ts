/** What the bench bundles of the router (bench/bundle.ts): the local stack and its logger. */
export { jsonLogger } from '../lambdas/core/log';
export { startLocalStack } from '../lambdas/local/stack';
