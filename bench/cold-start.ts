/**
 * Cold start of each Lambda bundle, measured: size, import time, and import + init (the first
 * invocation, which builds the function's runtime: config, catalog, clients), each in a fresh Node
 * process, against a baseline bundle that only imports the DynamoDB clients and constructs one.
 *
 * The first invocation is one that needs no network: a request that is refused for a missing key
 * (chat, privacy), the model list (api), a malformed body (admin), an empty SQS batch (workers).
 * The environment is a Lambda's (region, function name, KMS key, queue URLs) without the provider
 * secret, whose read is one Secrets Manager round trip in the cloud.
 *
 * `tsx bench/cold-start.ts` prints the table on its own (`TARGETS=chat RUNS=15` for one function);
 * `npm run bench` includes it.
 */

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DEFAULT_CONFIG_PATH, loadConfigFile } from '../lambdas/core/config';
import { ERASURE_JOB_SENDERS, OUTBOX_SENDERS, ROUTER_FUNCTIONS, type RouterFunctionName } from '../lib/table-access';
import { apiGatewayEvent } from '../test/helpers/api-event';
import { bundleDynamoOnly, bundleHandler } from '../test/helpers/bundle';

type Target = RouterFunctionName | 'dynamodb-only';

const apiEvent = (method: string, path: string, headers: Record<string, string> = {}, body: string | null = null) =>
  apiGatewayEvent(method, path, { headers, body, requestId: 'cold' });

/** The first invocation of each function (no network needed). */
const FIRST_CALL: Record<Target, unknown> = {
  chat: apiEvent('POST', '/v1/chat/completions', { 'content-type': 'application/json' }, '{"model":"x","messages":[]}'),
  api: apiEvent('GET', '/v1/models'),
  admin: apiEvent('POST', '/admin/accounts', { 'content-type': 'application/json' }, '{'),
  privacy: apiEvent('GET', '/v1/privacy/export'),
  outbox: { Records: [] },
  erasure: { Records: [] },
  'dynamodb-only': {},
};

/** A Lambda-like environment for `fn` (fake identifiers; nothing is called). */
function lambdaEnv(fn: Target): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    AWS_REGION: 'us-east-1',
    AWS_LAMBDA_FUNCTION_NAME: `ctr-${fn}`,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    CTR_HOME_REGION: 'us-east-1',
    CTR_KMS_KEY_ARN: 'arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000000',
  };
  const queue = (name: string) => `https://sqs.us-east-1.amazonaws.com/111122223333/${name}`;
  if ((OUTBOX_SENDERS as readonly string[]).includes(fn)) env.CTR_OUTBOX_QUEUE_URL = queue('ctr-outbox');
  if ((ERASURE_JOB_SENDERS as readonly string[]).includes(fn)) env.CTR_ERASURE_QUEUE_URL = queue('ctr-erasure');
  return env;
}

/** The probe a fresh process runs: import, then the first invocation; prints both times as JSON. */
function probeSource(bundle: string, event: unknown): string {
  return `
import { Writable } from 'node:stream';
globalThis.awslambda = { streamifyResponse: (f) => f, HttpResponseStream: { from: (s) => s } };
const c0 = process.cpuUsage();
const t0 = performance.now();
const { handler } = await import(${JSON.stringify(pathToFileURL(bundle).href)});
const t1 = performance.now();
const context = { getRemainingTimeInMillis: () => 60000, awsRequestId: 'cold' };
const sink = new Writable({ write(_c, _e, cb) { cb(); } });
await (handler.length >= 3 ? handler(${JSON.stringify(event)}, sink, context) : handler(${JSON.stringify(event)}, context));
const t2 = performance.now();
const c = process.cpuUsage(c0);
process.stdout.write('\\nCOLD ' + JSON.stringify({ importMs: t1 - t0, initMs: t2 - t0, cpuMs: (c.user + c.system) / 1000, rssMb: process.memoryUsage().rss / 2 ** 20 }) + '\\n');
`;
}

/** Bytes a cold start reads: the entry file and the chunks it imports statically (not those loaded with `import()`). */
function loadedBytes(file: string, seen = new Set<string>()): number {
  if (seen.has(file)) return 0;
  seen.add(file);
  const code = readFileSync(file, 'utf8');
  let bytes = statSync(file).size;
  for (const m of code.matchAll(/(?:^|[;}\s])import(?:[^"'()]*?from)?\s*"(\.{1,2}\/[^"]+)"/g))
    bytes += loadedBytes(join(dirname(file), m[1]!), seen);
  return bytes;
}

export interface ColdStartRow {
  target: Target;
  /** The entry file and its static imports (lazily imported chunks excluded). */
  bytes: number;
  importMs: number;
  initMs: number;
  /** CPU time (user + system) of import + init: less sensitive than wall time to a loaded machine. */
  cpuMs: number;
  /** Resident memory after init (what the function's memory size must hold, with room for requests). */
  rssMb: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * Bundles every function and the baseline, then runs each probe `runs` times, interleaved so
 * that load on a shared machine spreads over all targets; returns the medians.
 */
export async function measureColdStarts(runs = 9, targets: readonly RouterFunctionName[] = ROUTER_FUNCTIONS): Promise<ColdStartRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'ctr-cold-'));
  try {
    const config = loadConfigFile(DEFAULT_CONFIG_PATH);
    const bundles = new Map<Target, string>([['dynamodb-only', await bundleDynamoOnly(dir)]]);
    for (const fn of targets) bundles.set(fn, await bundleHandler(fn, dir, config));
    const samples = new Map<Target, Array<{ importMs: number; initMs: number; cpuMs: number; rssMb: number }>>();
    for (const [target, bundle] of bundles) {
      const probe = join(dir, `${target}-probe.mjs`);
      writeFileSync(probe, probeSource(bundle, FIRST_CALL[target]));
      samples.set(target, []);
    }
    for (let i = 0; i < runs; i++) {
      for (const target of bundles.keys()) {
        const out = execFileSync(process.execPath, [join(dir, `${target}-probe.mjs`)], {
          env: lambdaEnv(target),
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        const line = out
          .toString()
          .split('\n')
          .find((l) => l.startsWith('COLD '));
        if (!line) throw new Error(`cold-start probe of ${target} printed no result`);
        samples.get(target)!.push(JSON.parse(line.slice(5)) as { importMs: number; initMs: number; cpuMs: number; rssMb: number });
      }
    }
    return [...bundles].map(([target, bundle]) => {
      const s = samples.get(target)!;
      return {
        target,
        bytes: loadedBytes(bundle),
        importMs: median(s.map((x) => x.importMs)),
        initMs: median(s.map((x) => x.initMs)),
        cpuMs: median(s.map((x) => x.cpuMs)),
        rssMb: median(s.map((x) => x.rssMb)),
      };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The rows as a table, with each function's ratio to the DynamoDB-only baseline. */
export function coldStartTable(rows: readonly ColdStartRow[]): Array<Record<string, string>> {
  const base = rows.find((r) => r.target === 'dynamodb-only')!;
  return rows.map((r) => ({
    bundle: r.target,
    'size (entry + static chunks)': `${(r.bytes / 1024).toFixed(0)} KiB`,
    import: `${r.importMs.toFixed(1)} ms`,
    'import + init': `${r.initMs.toFixed(1)} ms`,
    'CPU (import + init)': `${r.cpuMs.toFixed(1)} ms`,
    'RSS after init': `${r.rssMb.toFixed(0)} MiB`,
    'ratio to dynamodb-only (import + init)': `${(r.initMs / base.initMs).toFixed(2)}×`,
  }));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { table } = await import('./stats');
  const runs = Number(process.env.RUNS) || 9;
  // TARGETS=chat measures one function (and the baseline), e.g. after a change to its imports.
  const targets = process.env.TARGETS ? (process.env.TARGETS.split(',') as RouterFunctionName[]) : ROUTER_FUNCTIONS;
  console.log(
    `## Lambda cold start (fresh Node ${process.version} process each; median of ${runs})\n${table(coldStartTable(await measureColdStarts(runs, targets)))}`,
  );
}
