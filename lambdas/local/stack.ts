/**
 * The whole local stack in one call: DynamoDB Local, the tables, the runtime and the server.
 * `npm start` and the integration tests both use it.
 */
import { dirname, join } from 'node:path';
import { jsonLogger, type Logger } from '../core/log';
import { LOCAL_METERING_LINGER_MS } from '../core/metering';
import { processMetrics, recordOutboxDepth } from '../core/metrics';
import { replayOutboxEntry } from '../core/outbox';
import { keyProviderFromEnv } from '../core/personal-data';
import type { Credentials } from '../core/sigv4';
import { createObservability, type LineWriter, setObservability } from '../handlers/observability';
import { sigv4Operator } from '../handlers/operator-sigv4';
import { createRuntime, type Runtime } from '../handlers/runtime';
import { SpoolOutbox } from '../store/outbox-spool';
import { tableNamesFromEnv } from '../store/tables';
import { createTables, type LocalDynamo, startDynamoLocal } from './dynamodb-local';
import type { ServedRequest } from './request-log';
import { type LocalServer, startLocalServer, stopWindowMs } from './server';

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
  /** Start DynamoDB Local at a lower CPU priority (`npm start`, the bench): see `DynamoLocalOptions.background`. */
  backgroundStore?: boolean;
  /** Environment for the runtime (config, provider keys); CTR_DYNAMODB_ENDPOINT is added. */
  env?: NodeJS.ProcessEnv;
  /** The core's logger: a JSON logger to stdout by default; `'powertools'` logs as a deployed function does (to `metricsWrite`). */
  log?: Logger | 'powertools';
  /**
   * Check SigV4 signatures on `/admin/*` against these credentials (as API Gateway's IAM
   * authorization does in the cloud) instead of trusting loopback. Test credentials only.
   */
  operatorCredentials?: readonly Credentials[];
  /** Where the Powertools metrics (EMF lines) and logs go; stdout by default, as in Lambda. */
  metricsWrite?: LineWriter;
  /** Reuse a running DynamoDB (Local) instead of starting one. */
  dynamoEndpoint?: string;
  /** Told about each request once its invocation ended (the readable local log, `request-log.ts`). */
  onServed?: (request: ServedRequest) => void | Promise<void>;
}

/** How often the local outbox spool is replayed while the server runs. */
export const OUTBOX_REPLAY_INTERVAL_MS = 30_000;

/**
 * Replays the local outbox spool (on start, then every `OUTBOX_REPLAY_INTERVAL_MS`); entries the
 * store still refuses stay in the spool.
 */
export async function replaySpool(runtime: Runtime): Promise<void> {
  if (!(runtime.outbox instanceof SpoolOutbox)) return;
  const { replayed, failed } = await runtime.outbox.drain((entry) => replayOutboxEntry(runtime.outboxReplay, entry));
  await runtime.outboxReplay.written?.();
  if (replayed || failed) runtime.log.log('info', 'outbox spool replayed', { countReplayed: replayed, countFailed: failed });
  // What is still waiting (the entries that failed again) is the outbox depth.
  recordOutboxDepth(processMetrics(), failed);
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const dynamo: LocalDynamo = options.dynamoEndpoint
    ? { endpoint: options.dynamoEndpoint, port: Number(new URL(options.dynamoEndpoint).port), stop: async () => undefined }
    : await startDynamoLocal({ port: options.dynamoPort, dataDir: options.dataDir, background: options.backgroundStore });
  try {
    const env: NodeJS.ProcessEnv = {
      // One long-running process: requests answered close together share their metering writes.
      CTR_METERING_LINGER_MS: String(LOCAL_METERING_LINGER_MS),
      ...(options.env ?? process.env),
      CTR_DYNAMODB_ENDPOINT: dynamo.endpoint,
      AWS_REGION: 'us-east-1',
    };
    // The outbox spool sits beside the DynamoDB data (.local/outbox.jsonl for `npm start`).
    if (!env.CTR_OUTBOX_SPOOL && options.dataDir) env.CTR_OUTBOX_SPOOL = join(dirname(options.dataDir), 'outbox.jsonl');
    await createTables(dynamo.endpoint, tableNamesFromEnv(env));
    const obs = createObservability(env, options.metricsWrite ?? ((line) => process.stdout.write(`${line}\n`)));
    setObservability(obs);
    const log = options.log === 'powertools' ? obs.log : (options.log ?? jsonLogger());
    keyProviderFromEnv(env); // fails fast without a master key (the runtime only asks for it on first use)
    const runtime = createRuntime(env, log);
    const operator = options.operatorCredentials ? sigv4Operator(options.operatorCredentials, env.AWS_REGION ?? 'us-east-1') : undefined;
    const server = await startLocalServer({
      port: options.port,
      runtime,
      log,
      operator,
      onServed: options.onServed,
      stopWindowMs: stopWindowMs(env),
    });
    const rt = await runtime;
    const replay = () => replaySpool(rt).catch((err: Error) => log.log('error', 'outbox spool replay failed', { errorName: err.name }));
    await replay();
    const timer = setInterval(replay, OUTBOX_REPLAY_INTERVAL_MS);
    timer.unref();
    return {
      dynamo,
      server,
      env,
      runtime: rt,
      stop: async () => {
        clearInterval(timer);
        await rt.localJobs?.idle();
        await server.close();
        obs.flush();
        await dynamo.stop();
      },
    };
  } catch (err) {
    await dynamo.stop();
    throw err;
  }
}
