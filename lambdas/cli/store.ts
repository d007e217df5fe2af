/**
 * Where the CLI's operations run: a deployed stack's admin API (CTR_ADMIN_URL, signed with SigV4
 * and the operator's AWS profile — the operator needs only `execute-api:Invoke` on `/admin/*`),
 * a deployed stack's tables directly (CTR_REMOTE=1, with table and KMS permissions, AWS_REGION,
 * CTR_KMS_KEY_ARN and CTR_TABLE_PREFIX=ctr- or the CTR_TABLE_* names), the running local server's
 * DynamoDB Local, or — when the server is not running — a DynamoDB Local it starts on the same
 * data folder. In-process modes use the same runtime as the handlers.
 */
import { resolve } from 'node:path';
import { jsonLogger } from '../core/log';
import { createRuntime, type Runtime } from '../handlers/runtime';
import { createTables, isUp, runningStore, startDynamoLocal, storePortFor } from '../local/dynamodb-local';
import { localMasterKey } from '../local/master-key';
import { tableNamesFromEnv } from '../store/tables';
import { adminApiOps, type OperatorOps, operatorCredentials } from './admin-api';

export interface CliRuntime {
  /** The operations the CLI calls (in-process services, or the admin API). */
  ops: OperatorOps;
  /** The in-process runtime; absent when the CLI goes through the admin API. */
  runtime?: Runtime;
  where: string;
  close(): Promise<void>;
}

export async function openRuntime(env: NodeJS.ProcessEnv = process.env): Promise<CliRuntime> {
  // CLI logs (none expected) go to stderr so stdout stays machine-readable.
  const log = jsonLogger((l) => process.stderr.write(`${l}\n`), 'warn');
  if (env.CTR_ADMIN_URL) {
    const region = env.CTR_ADMIN_REGION ?? env.AWS_REGION ?? /\.execute-api\.([a-z0-9-]+)\./.exec(env.CTR_ADMIN_URL)?.[1];
    if (!region) throw new Error('CTR_ADMIN_URL needs AWS_REGION (or CTR_ADMIN_REGION) for the signature');
    const ops = adminApiOps({ baseUrl: env.CTR_ADMIN_URL, region, credentials: await operatorCredentials(env) });
    return { ops, where: env.CTR_ADMIN_URL, close: async () => undefined };
  }
  if (env.CTR_REMOTE === '1') {
    return withOps({
      runtime: await createRuntime({ ...env, CTR_DYNAMODB_ENDPOINT: undefined }, log),
      where: `AWS ${env.AWS_REGION ?? ''}`,
      close: async () => undefined,
    });
  }
  const localEnv = { ...env, CTR_LOCAL_MASTER_KEY: env.CTR_LOCAL_MASTER_KEY ?? localMasterKey() };
  const dataDir = resolve(process.cwd(), '.local/dynamodb');
  // The server of this checkout records its store in .local/dynamodb.pid, on the port derived from
  // this data directory: the CLI uses that store, never one on a port another checkout happens to hold.
  const running = runningStore(dataDir);
  const endpoint = env.CTR_DYNAMODB_ENDPOINT ?? (running ? `http://127.0.0.1:${running.port}` : undefined);
  if (endpoint && (await isUp(endpoint))) {
    await createTables(endpoint, tableNamesFromEnv(localEnv));
    return withOps({
      runtime: await createRuntime({ ...localEnv, CTR_DYNAMODB_ENDPOINT: endpoint }, log),
      where: endpoint,
      close: async () => undefined,
    });
  }
  if (env.CTR_DYNAMODB_ENDPOINT) throw new Error(`the store at ${env.CTR_DYNAMODB_ENDPOINT} does not answer`);
  const dynamo = await startDynamoLocal({ dataDir, port: storePortFor(dataDir, env) });
  await createTables(dynamo.endpoint, tableNamesFromEnv(localEnv));
  return withOps({
    runtime: await createRuntime({ ...localEnv, CTR_DYNAMODB_ENDPOINT: dynamo.endpoint }, log),
    where: '.local/dynamodb',
    close: () => dynamo.stop(),
  });
}

function withOps(opened: Omit<CliRuntime, 'ops'> & { runtime: Runtime }): CliRuntime & { runtime: Runtime } {
  const { accounts, privacy, support } = opened.runtime;
  return { ...opened, ops: { accounts, privacy, support } };
}
