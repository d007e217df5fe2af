/**
 * Where the CLI finds the store: a deployed stack (CTR_REMOTE=1, with AWS credentials, AWS_REGION
 * and the CTR_TABLE_* names from the stack outputs), the running local server's DynamoDB Local,
 * or — when the server is not running — a DynamoDB Local it starts on the same data folder.
 */
import { resolve } from 'node:path';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../store/dynamo';
import { tableNamesFromEnv, type TableNames } from '../store/tables';
import { createTables, isUp, startDynamoLocal } from '../local/dynamodb-local';

export interface CliStore {
  db: DynamoDBDocumentClient;
  tables: TableNames;
  where: string;
  close(): Promise<void>;
}

export async function openStore(env: NodeJS.ProcessEnv = process.env): Promise<CliStore> {
  if (env.CTR_REMOTE === '1') {
    return { db: documentClient({ region: env.AWS_REGION }, { ...env, CTR_DYNAMODB_ENDPOINT: undefined }), tables: tableNamesFromEnv(env), where: `AWS ${env.AWS_REGION ?? ''}`, close: async () => undefined };
  }
  const tables = tableNamesFromEnv(env);
  const endpoint = env.CTR_DYNAMODB_ENDPOINT ?? `http://127.0.0.1:${env.CTR_DYNAMODB_PORT ?? 8799}`;
  if (await isUp(endpoint)) {
    return { db: documentClient({ endpoint, region: 'us-east-1' }), tables, where: endpoint, close: async () => undefined };
  }
  const dynamo = await startDynamoLocal({ dataDir: resolve(process.cwd(), '.local/dynamodb') });
  await createTables(dynamo.endpoint, tables);
  return {
    db: documentClient({ endpoint: dynamo.endpoint, region: 'us-east-1' }),
    tables,
    where: '.local/dynamodb',
    close: () => dynamo.stop(),
  };
}
