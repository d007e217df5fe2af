/**
 * Local mode is safe next to anything (issue 10, item 6): DynamoDB Local listens on 127.0.0.1
 * only, each data directory gets its own store port, a store it did not start is never adopted,
 * its JVM goes away with its parent however the parent ends, and one unreadable account does not
 * break `accounts list`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  freePort,
  type LocalDynamo,
  pidFilePath,
  runningStore,
  STORE_PORT_BASE,
  STORE_PORT_SPAN,
  startDynamoLocal,
  storePortFor,
} from '../../lambdas/local/dynamodb-local';
import { defaultConfig } from '../helpers/config';
import { startTestRouter, type TestRouter } from '../helpers/local-router';

/** The local addresses (hex, as /proc/net/tcp* prints them) on which something listens on `port`. */
function listenAddresses(port: number): string[] {
  const found: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 4 || cols[3] !== '0A') continue; // LISTEN
      const [addr, hexPort] = cols[1]!.split(':');
      if (Number.parseInt(hexPort!, 16) === port) found.push(addr!);
    }
  }
  return found;
}

const LOOPBACK_V4 = '0100007F';
const LOOPBACK_V4_MAPPED = '0000000000000000FFFF00000100007F';

function connects(host: string, port: number): Promise<boolean> {
  return new Promise((done) => {
    const s = connect({ host, port });
    s.setTimeout(2000, () => {
      s.destroy();
      done(false);
    });
    s.once('connect', () => {
      s.destroy();
      done(true);
    });
    s.once('error', () => done(false));
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntil(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return check();
}

describe('DynamoDB Local in local mode', () => {
  let dynamo: LocalDynamo;
  beforeAll(async () => {
    dynamo = await startDynamoLocal();
  });
  afterAll(async () => {
    await dynamo?.stop();
  });

  it('listens on 127.0.0.1 only', async () => {
    // Prepare: the addresses the kernel reports for the JVM's listening socket
    const addresses = listenAddresses(dynamo.port);
    // Assess
    if (process.platform === 'linux') {
      expect(addresses.length).toBeGreaterThan(0);
      for (const a of addresses) expect([LOOPBACK_V4, LOOPBACK_V4_MAPPED]).toContain(a);
    }
    expect(await connects('127.0.0.1', dynamo.port)).toBe(true);
    const external = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && !i.internal && i.family === 'IPv4');
    if (external) expect(await connects(external.address, dynamo.port)).toBe(false);
  });

  it('never adopts a store it did not start: a taken port is an error', async () => {
    const port = await freePort();
    const squatter: Server = createServer((s) => s.destroy());
    await new Promise<void>((r) => squatter.listen(port, '127.0.0.1', () => r()));
    try {
      await expect(startDynamoLocal({ port })).rejects.toThrow(/already in use; the store is not adopted/);
    } finally {
      squatter.close();
    }
  });
});

describe('store port per checkout', () => {
  it('is derived from the data directory, stable, and overridable', () => {
    const a = storePortFor('/tmp/clone-a/.local/dynamodb', {});
    const b = storePortFor('/tmp/clone-b/.local/dynamodb', {});
    expect(a).toBe(storePortFor('/tmp/clone-a/.local/dynamodb', {}));
    expect(a).not.toBe(b);
    for (const p of [a, b]) {
      expect(p).toBeGreaterThanOrEqual(STORE_PORT_BASE);
      expect(p).toBeLessThan(STORE_PORT_BASE + STORE_PORT_SPAN);
    }
    expect(storePortFor('/tmp/clone-a/.local/dynamodb', { CTR_DYNAMODB_PORT: '9123' })).toBe(9123);
  });
});

describe('the JVM ends with the process that started it', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  /** Starts the child helper on a fresh data directory; resolves with the child and its JVM. */
  async function startChild() {
    const dir = mkdtempSync(join(tmpdir(), 'ctr-local-'));
    dirs.push(dir);
    const dataDir = join(dir, 'dynamodb');
    const child = spawn(process.execPath, ['--import', 'tsx', resolve('test/helpers/dynamo-child.ts'), dataDir], {
      stdio: ['pipe', 'pipe', 'ignore'],
      env: { ...process.env, CTR_DYNAMODB_PORT: String(await freePort()) },
    });
    const line = await new Promise<string>((done, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error('child did not start DynamoDB Local in 60 s')), 60_000);
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) {
          clearTimeout(timer);
          done(out.split('\n')[0]!);
        }
      });
      child.once('exit', () => reject(new Error('child exited early')));
    });
    const { pid, port } = JSON.parse(line) as { pid: number; port: number };
    return { child, dataDir, pid, port };
  }

  it('a SIGKILLed parent (no hooks run) takes its JVM with it; the pid file records owner and port', async () => {
    const { child, dataDir, pid, port } = await startChild();
    expect(runningStore(dataDir)).toMatchObject({ pid, port, ownerPid: child.pid });
    expect(JSON.parse(readFileSync(pidFilePath(dataDir), 'utf8')).dataDir).toBe(resolve(dataDir));
    child.kill('SIGKILL');
    expect(await waitUntil(() => !isAlive(pid), 10_000)).toBe(true);
    expect(runningStore(dataDir)).toBeUndefined();
  });

  it('a parent that crashes with an uncaught exception stops its JVM', async () => {
    const { child, pid } = await startChild();
    child.stdin.write('throw\n');
    expect(await waitUntil(() => !isAlive(pid), 10_000)).toBe(true);
  });
});

describe('accounts list with an unreadable account', () => {
  let router: TestRouter;
  beforeAll(async () => {
    router = await startTestRouter(defaultConfig());
  });
  afterAll(async () => {
    await router?.stop();
  });

  it('lists every account; the damaged one is marked unreadable, without personal fields', async () => {
    // Prepare: two accounts, one whose sealed personal data is damaged
    await router.accounts.createAccount({ accountId: 'good', email: 'a@example.com' });
    await router.accounts.createAccount({ accountId: 'damaged', email: 'b@example.com' });
    await router.db.send(
      new UpdateCommand({
        TableName: router.tables.accounts,
        Key: { pk: 'acct#damaged' },
        UpdateExpression: 'SET personal = :p',
        ExpressionAttributeValues: { ':p': 'not-sealed' },
      }),
    );
    // Act
    const list = await router.accounts.listAccounts();
    // Assess
    const byId = Object.fromEntries(list.map((a) => [a.accountId, a]));
    expect(byId.good).toMatchObject({ email: 'a@example.com', personalDataReadable: true });
    expect(byId.damaged).toMatchObject({ unreadable: true, personalDataReadable: false });
    expect(byId.damaged).not.toHaveProperty('email');
  });
});
