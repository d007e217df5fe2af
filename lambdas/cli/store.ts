/**
 * Where the CLI finds the store: a deployed stack (CTR_REMOTE=1, with the operator's AWS
 * credentials, AWS_REGION, CTR_KMS_KEY_ARN and CTR_TABLE_PREFIX=ctr- or the CTR_TABLE_* names),
 * the running local server's DynamoDB Local (found through .local/dynamodb.pid, on the port derived
 * from the data folder), or — when the server is not running — a DynamoDB Local it starts on the
 * same data folder and port. Either way it uses the same runtime as the handlers.
 */
import { resolve } from 'node:path';
import { jsonLogger } from '../core/log';
import { createRuntime, type Runtime } from '../handlers/runtime';
import { createTables, isUp, runningStore, startDynamoLocal, storePortFor } from '../local/dynamodb-local';
import { localMasterKey } from '../local/master-key';
import { tableNamesFromEnv } from '../store/tables';

export interface CliRuntime {
  runtime: Runtime;
  where: string;
  close(): Promise<void>;
}

export async function openRuntime(env: NodeJS.ProcessEnv = process.env): Promise<CliRuntime> {
  // CLI logs (none expected) go to stderr so stdout stays machine-readable.
  const log = jsonLogger((l) => process.stderr.write(`${l}\n`), 'warn');
  if (env.CTR_REMOTE === '1') {
    return {
      runtime: await createRuntime({ ...env, CTR_DYNAMODB_ENDPOINT: undefined }, log),
      where: `AWS ${env.AWS_REGION ?? ''}`,
      close: async () => undefined,
    };
  }
  const localEnv = { ...env, CTR_LOCAL_MASTER_KEY: env.CTR_LOCAL_MASTER_KEY ?? localMasterKey() };
  const dataDir = resolve(process.cwd(), '.local/dynamodb');
  // The server of this checkout records its store in .local/dynamodb.pid, on the port derived from
  // this data directory: the CLI uses that store, never one on a port another checkout happens to hold.
  const running = runningStore(dataDir);
  const endpoint = env.CTR_DYNAMODB_ENDPOINT ?? (running ? `http://127.0.0.1:${running.port}` : undefined);
  if (endpoint && (await isUp(endpoint))) {
    await createTables(endpoint, tableNamesFromEnv(localEnv));
    return {
      runtime: await createRuntime({ ...localEnv, CTR_DYNAMODB_ENDPOINT: endpoint }, log),
      where: endpoint,
      close: async () => undefined,
    };
  }
  if (env.CTR_DYNAMODB_ENDPOINT) throw new Error(`the store at ${env.CTR_DYNAMODB_ENDPOINT} does not answer`);
  const dynamo = await startDynamoLocal({ dataDir, port: storePortFor(dataDir, env) });
  await createTables(dynamo.endpoint, tableNamesFromEnv(localEnv));
  return {
    runtime: await createRuntime({ ...localEnv, CTR_DYNAMODB_ENDPOINT: dynamo.endpoint }, log),
    where: '.local/dynamodb',
    close: () => dynamo.stop(),
  };
}
