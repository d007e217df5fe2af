/** What the bench bundles of the router (bench/bundle.ts): the local stack as every bench section starts it. */
import { randomBytes } from 'node:crypto';
import { jsonLogger } from '../lambdas/core/log';
import { startLocalStack } from '../lambdas/local/stack';

/**
 * The router's local stack for a bench section: any free port, DynamoDB Local at low priority, logs
 * and metrics discarded, a fresh master key; `env` adds the config, provider keys and anything else.
 */
export function startBenchStack(tablePrefix: string, env: NodeJS.ProcessEnv) {
  return startLocalStack({
    backgroundStore: true,
    metricsWrite: () => undefined,
    port: 0,
    env: { PATH: process.env.PATH, CTR_TABLE_PREFIX: tablePrefix, CTR_LOCAL_MASTER_KEY: randomBytes(32).toString('hex'), ...env },
    log: jsonLogger(() => undefined),
  });
}
