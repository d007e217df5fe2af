/**
 * Starts the real local stack (DynamoDB Local in memory, the tables, the handlers behind the
 * Node http adapter on 127.0.0.1) for integration tests, with every log line captured.
 */
import { randomBytes } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import OpenAI from 'openai';
import { jsonLogger } from '../../lambdas/core/log';
import { type LocalStack, startLocalStack } from '../../lambdas/local/stack';
import { documentClient } from '../../lambdas/store/dynamo';
import { KeysRepo } from '../../lambdas/store/keys-repo';
import { type TableNames, tableNamesFromEnv } from '../../lambdas/store/tables';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

export interface TestRouter {
  stack: LocalStack;
  baseUrl: string;
  tables: TableNames;
  /** Every line the router logged. */
  logs: string[];
  /** Every EMF metric record the router printed (Powertools Metrics; stdout in a Lambda function). */
  metrics: string[];
  db: ReturnType<typeof documentClient>;
  keys: KeysRepo;
  /** Creates the account if needed (no limits) and a key for it; returns the secret. */
  createKey(account?: string, keyInput?: Record<string, unknown>): Promise<string>;
  /** The services behind the admin API and the CLI. */
  accounts: TestRouter['stack']['runtime']['accounts'];
  /** The official client for a key; `timeoutMs` (default 30 s) bounds each request. */
  client(apiKey: string, timeoutMs?: number): OpenAI;
  /** Every item of every table, as JSON text. */
  dumpAllTables(): Promise<string>;
  stop(): Promise<void>;
}

export async function startTestRouter(config: unknown, extraEnv: NodeJS.ProcessEnv = {}): Promise<TestRouter> {
  const logs: string[] = [];
  const metrics: string[] = [];
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    CTR_CONFIG_JSON: JSON.stringify(config),
    CTR_TABLE_PREFIX: `t${Math.random().toString(36).slice(2, 8)}-`,
    CTR_LOCAL_MASTER_KEY: randomBytes(32).toString('hex'),
    // Tests stop their routers often: open streams get 1 s to finish (npm start's default is 25 s).
    CTR_STOP_WINDOW_MS: '1000',
    ...extraEnv,
  };
  const stack = await startLocalStack({
    port: 0,
    env,
    log: jsonLogger((l) => logs.push(l), 'debug'),
    metricsWrite: (l) => metrics.push(l),
  });
  const tables = tableNamesFromEnv(stack.env);
  const db = documentClient({ endpoint: stack.dynamo.endpoint, region: 'us-east-1' });
  const keys = new KeysRepo(db, tables.apiKeys);
  return {
    stack,
    baseUrl: stack.server.baseUrl,
    tables,
    logs,
    metrics,
    db,
    keys,
    accounts: stack.runtime.accounts,
    async createKey(account = 'acct-test', keyInput = {}) {
      await stack.runtime.accounts.getAccount(account).catch(() => stack.runtime.accounts.createAccount({ accountId: account }));
      return (await stack.runtime.accounts.createKey(account, { name: 'test', ...keyInput })).key;
    },
    client(apiKey, timeoutMs = 30_000) {
      return new OpenAI({ baseURL: stack.server.baseUrl, apiKey, maxRetries: 0, timeout: timeoutMs });
    },
    async dumpAllTables() {
      const parts: string[] = [];
      for (const name of Object.values(tables)) {
        let start: Record<string, unknown> | undefined;
        do {
          const out = await db.send(new ScanCommand({ TableName: name, ExclusiveStartKey: start }));
          parts.push(JSON.stringify(out.Items ?? []));
          start = out.LastEvaluatedKey;
        } while (start);
      }
      return parts.join('\n');
    },
    stop: () => stack.stop(),
  };
}
