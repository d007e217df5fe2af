/**
 * Where the CLI finds the store: a deployed stack (CTR_REMOTE=1, with the operator's AWS
 * credentials, AWS_REGION, CTR_KMS_KEY_ARN and CTR_TABLE_PREFIX=ctr- or the CTR_TABLE_* names),
 * the running local server's DynamoDB Local, or — when the server is not running — a DynamoDB
 * Local it starts on the same data folder. Either way it uses the same runtime as the handlers.
 */
import { resolve } from 'node:path';
import { createRuntime, type Runtime } from '../handlers/runtime';
import { jsonLogger } from '../core/log';
import { createTables, isUp, startDynamoLocal } from '../local/dynamodb-local';
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
    return { runtime: await createRuntime({ ...env, CTR_DYNAMODB_ENDPOINT: undefined }, log), where: `AWS ${env.AWS_REGION ?? ''}`, close: async () => undefined };
  }
  const localEnv = { ...env, CTR_LOCAL_MASTER_KEY: env.CTR_LOCAL_MASTER_KEY ?? localMasterKey() };
  const endpoint = env.CTR_DYNAMODB_ENDPOINT ?? `http://127.0.0.1:${env.CTR_DYNAMODB_PORT ?? 8799}`;
  if (await isUp(endpoint)) {
    await createTables(endpoint, tableNamesFromEnv(localEnv));
    return { runtime: await createRuntime({ ...localEnv, CTR_DYNAMODB_ENDPOINT: endpoint }, log), where: endpoint, close: async () => undefined };
  }
  const dynamo = await startDynamoLocal({ dataDir: resolve(process.cwd(), '.local/dynamodb') });
  await createTables(dynamo.endpoint, tableNamesFromEnv(localEnv));
  return {
    runtime: await createRuntime({ ...localEnv, CTR_DYNAMODB_ENDPOINT: dynamo.endpoint }, log),
    where: '.local/dynamodb',
    close: () => dynamo.stop(),
  };
}
