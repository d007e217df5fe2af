/**
 * The whole local stack in one call: DynamoDB Local, the tables, the runtime and the server.
 * `npm start` and the integration tests both use it.
 */
import { jsonLogger, type Logger } from '../core/log';
import type { Credentials } from '../core/sigv4';
import { sigv4Operator } from '../handlers/operator-sigv4';
import { createObservability, type LineWriter, setObservability } from '../handlers/observability';
import { createRuntime, type Runtime } from '../handlers/runtime';
import { tableNamesFromEnv } from '../store/tables';
import { createTables, startDynamoLocal, type LocalDynamo } from './dynamodb-local';
import { startLocalServer, type LocalServer } from './server';

export interface LocalStack {
  dynamo: LocalDynamo;
  server: LocalServer;
  env: NodeJS.ProcessEnv;
  /** The runtime the handlers use (the same services as the CLI and admin API). */
  runtime: Runtime;
  stop(): Promise<void>;
}

export interface LocalStackOptions {
  /** HTTP port (0 = any free port). */
  port: number;
  /** Keep DynamoDB data here; in memory if unset. */
  dataDir?: string;
  dynamoPort?: number;
  /** Environment for the runtime (config, provider keys); CTR_DYNAMODB_ENDPOINT is added. */
  env?: NodeJS.ProcessEnv;
  log?: Logger;
  /**
   * Check SigV4 signatures on `/admin/*` against these credentials (as API Gateway's IAM
   * authorization does in the cloud) instead of trusting loopback. Test credentials only.
   */
  operatorCredentials?: readonly Credentials[];
  /** Where the Powertools metrics (EMF lines) go; stdout by default, as in Lambda. */
  metricsWrite?: LineWriter;
  /** Reuse a running DynamoDB (Local) instead of starting one. */
  dynamoEndpoint?: string;
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const log = options.log ?? jsonLogger();
  const dynamo: LocalDynamo = options.dynamoEndpoint
    ? { endpoint: options.dynamoEndpoint, port: Number(new URL(options.dynamoEndpoint).port), stop: async () => undefined }
    : await startDynamoLocal({ port: options.dynamoPort, dataDir: options.dataDir });
  try {
    const env: NodeJS.ProcessEnv = { ...(options.env ?? process.env), CTR_DYNAMODB_ENDPOINT: dynamo.endpoint, AWS_REGION: 'us-east-1' };
    await createTables(dynamo.endpoint, tableNamesFromEnv(env));
    setObservability(createObservability(env, options.metricsWrite ?? ((line) => process.stdout.write(`${line}\n`))));
    const runtime = createRuntime(env, log);
    const operator = options.operatorCredentials ? sigv4Operator(options.operatorCredentials, env.AWS_REGION ?? 'us-east-1') : undefined;
    const server = await startLocalServer({ port: options.port, runtime, log, operator });
    return {
      dynamo,
      server,
      env,
      runtime: await runtime,
      stop: async () => {
        await server.close();
        await dynamo.stop();
      },
    };
  } catch (err) {
    await dynamo.stop();
    throw err;
  }
}
