/**
 * `npm run bench`: speed and memory, measured (never asserted in tests).
 *
 * 1. Lambda bundles: size of each handler bundled as the CDK stacks bundle it, and cold-init
 *    time (a fresh Node process importing the bundle), median of several runs.
 * 2. Routing: planRoute() calls per second on the shipped catalog.
 * 3. Router overhead: the local server (the same handlers, DynamoDB Local) in front of a mock
 *    OpenAI upstream on loopback, against calling that upstream directly; buffered and streamed
 *    latency percentiles and the server process's memory.
 * 4. Budget contention: concurrent requests against one account budget (conditional writes).
 * 5. A dead cheapest offer: latency of its route before and after its breaker opens, next to a
 *    healthy route.
 *
 * Every loop is bounded in count and time; everything binds to 127.0.0.1.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Catalog } from '../lambdas/core/catalog';
import { DEFAULT_CONFIG_PATH, loadConfigFile } from '../lambdas/core/config';
import { jsonLogger } from '../lambdas/core/log';
import { chatNeeds, planRoute } from '../lambdas/core/routing';
import type { ChatRequest } from '../lambdas/domain/chat-request';
import { startLocalStack } from '../lambdas/local/stack';
import { bundleHandler } from '../test/helpers/bundle';
import { threeProviderConfig } from '../test/helpers/config';
import { startOpenAIUpstream } from '../test/helpers/openai-upstream';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const DEADLINE = Date.now() + 5 * 60_000;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}
const ms = (n: number) => `${n.toFixed(2)} ms`;
const table = (rows: Array<Record<string, string | number>>) => {
  const cols = Object.keys(rows[0]!);
  const w = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)));
  const line = (v: string[]) => v.map((x, i) => x.padEnd(w[i]!)).join('  ');
  return [line(cols), line(w.map((n) => '-'.repeat(n))), ...rows.map((r) => line(cols.map((c) => String(r[c]))))].join('\n');
};

async function bundles(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ctr-bench-'));
  const rows: Array<Record<string, string | number>> = [];
  try {
    for (const name of ['chat', 'api', 'admin'] as const) {
      const outfile = await bundleHandler(name, dir, loadConfigFile(DEFAULT_CONFIG_PATH));
      // Cold init: a fresh process with the Lambda runtime's streaming global stubbed, importing the bundle.
      const probe = join(dir, `${name}-probe.mjs`);
      writeFileSync(
        probe,
        `globalThis.awslambda={streamifyResponse:(f)=>f,HttpResponseStream:{from:(s)=>s}};const t=performance.now();await import(${JSON.stringify(outfile)});process.stdout.write(String(performance.now()-t));`,
      );
      const times: number[] = [];
      for (let i = 0; i < 7; i++)
        times.push(Number(execFileSync(process.execPath, [probe], { env: { PATH: process.env.PATH } }).toString()));
      rows.push({
        handler: name,
        'bundle size': `${(statSync(outfile).size / 1024).toFixed(0)} KiB`,
        'cold import (median of 7)': ms(median(times)),
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`\n## Lambda bundles (minified ESM, AWS SDK bundled)\n${table(rows)}`);
}

function routing(): void {
  const catalog = new Catalog(loadConfigFile(DEFAULT_CONFIG_PATH));
  const ctx = { catalog, usableProviders: new Set(catalog.providers.keys()) };
  const request: ChatRequest = {
    model: 'meta-llama/llama-3.3-70b-instruct',
    models: ['deepseek/deepseek-chat'],
    messages: [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'x'.repeat(2000) },
    ],
    tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
  };
  const n = 20_000;
  const t = performance.now();
  for (let i = 0; i < n; i++) planRoute(request, chatNeeds(request), ctx);
  const elapsed = performance.now() - t;
  console.log(
    `\n## Routing\nplanRoute + chatNeeds on the shipped catalog (${[...catalog.models.keys()].length} models, ${[...catalog.offers()].length} offers, 2 KB prompt): ${Math.round(n / (elapsed / 1000)).toLocaleString('en')} calls/s, ${((elapsed * 1000) / n).toFixed(1)} µs each`,
  );
}

async function load(
  url: string,
  headers: Record<string, string>,
  body: (i: number) => unknown,
  count: number,
  concurrency: number,
): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count && Date.now() < DEADLINE) {
      const i = next++;
      const t = performance.now();
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body(i)),
      });
      await res.text();
      if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
      latencies.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return latencies;
}

async function overhead(): Promise<void> {
  const up = await startOpenAIUpstream('bench');
  up.usage = { prompt: 20, completion: 6, cached: 0 };
  const stack = await startLocalStack({
    port: 0,
    env: {
      PATH: process.env.PATH,
      CTR_CONFIG_JSON: JSON.stringify(threeProviderConfig({ cheap: up.url, mid: up.url, dear: up.url })),
      CHEAP_KEY: 'k',
      CTR_TABLE_PREFIX: 'bench-',
      CTR_LOCAL_MASTER_KEY: randomBytes(32).toString('hex'),
    },
    log: jsonLogger(() => undefined),
  });
  try {
    await stack.runtime.accounts.createAccount({ accountId: 'bench', limits: { monthlyBudgetUsd: 1000, rpm: 1_000_000 } });
    const key = (await stack.runtime.accounts.createKey('bench', {})).key;
    const auth = { authorization: `Bearer ${key}` };
    const chat = (stream: boolean) => () => ({
      model: 'acme/llama-test',
      messages: [{ role: 'user', content: 'Say something short.' }],
      max_tokens: 16,
      ...(stream ? { stream: true } : {}),
    });
    const upstreamBody = (stream: boolean) => () => ({
      model: 'llama-cheap',
      messages: [{ role: 'user', content: 'Say something short.' }],
      ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
    });
    const N = 400;
    const C = 8;
    await load(`${stack.server.baseUrl}/chat/completions`, auth, chat(false), 40, C); // warm-up
    const rssBefore = process.memoryUsage().rss;
    const rows: Array<Record<string, string | number>> = [];
    for (const stream of [false, true]) {
      const direct = await load(`${up.url}/chat/completions`, {}, upstreamBody(stream), N, C);
      const routed = await load(`${stack.server.baseUrl}/chat/completions`, auth, chat(stream), N, C);
      rows.push({
        mode: stream ? 'streamed' : 'buffered',
        requests: routed.length,
        'direct p50': ms(pct(direct, 50)),
        'routed p50': ms(pct(routed, 50)),
        'routed p95': ms(pct(routed, 95)),
        'routed p99': ms(pct(routed, 99)),
        'overhead p50': ms(pct(routed, 50) - pct(direct, 50)),
      });
    }
    // For scale: one DynamoDB Local round trip (the JVM on this machine), at the same concurrency.
    const { GetCommand } = await import('@aws-sdk/lib-dynamodb');
    const { documentClient } = await import('../lambdas/store/dynamo');
    const db = documentClient({ endpoint: stack.dynamo.endpoint, region: 'us-east-1' });
    const rt: number[] = [];
    let k = 0;
    await Promise.all(
      Array.from({ length: C }, async () => {
        while (k++ < 400) {
          const t = performance.now();
          await db.send(new GetCommand({ TableName: stack.runtime.tables.accounts, Key: { pk: 'acct#bench' } }));
          rt.push(performance.now() - t);
        }
      }),
    );
    // Without queueing: one request at a time.
    const directSeq = await load(`${up.url}/chat/completions`, {}, upstreamBody(false), 100, 1);
    const routedSeq = await load(`${stack.server.baseUrl}/chat/completions`, auth, chat(false), 100, 1);
    rows.push({
      mode: 'buffered, one at a time',
      requests: routedSeq.length,
      'direct p50': ms(pct(directSeq, 50)),
      'routed p50': ms(pct(routedSeq, 50)),
      'routed p95': ms(pct(routedSeq, 95)),
      'routed p99': ms(pct(routedSeq, 99)),
      'overhead p50': ms(pct(routedSeq, 50) - pct(directSeq, 50)),
    });
    const mem = process.memoryUsage();
    console.log(
      `\n## Router overhead (local server + DynamoDB Local, concurrency ${C}; each request authenticates, reserves and settles a budget, and writes one usage record after the response)\n${table(rows)}`,
    );
    console.log(
      `DynamoDB Local GetItem at concurrency ${C}: p50 ${ms(pct(rt, 50))}, p95 ${ms(pct(rt, 95))}. Before the upstream call the router makes two store calls (rate window, budget transaction); after the response, two transactions (usage record, settle). DynamoDB Local runs transactions one at a time, so under concurrency they queue; DynamoDB proper does not.`,
    );
    console.log(
      `server process: rss ${(mem.rss / 2 ** 20).toFixed(0)} MiB (+${((mem.rss - rssBefore) / 2 ** 20).toFixed(0)} MiB during the runs), heap used ${(mem.heapUsed / 2 ** 20).toFixed(0)} MiB`,
    );

    // Budget contention: many requests on one account's budget counters at once.
    await stack.runtime.accounts.createAccount({ accountId: 'contended', limits: { monthlyBudgetUsd: 1000 } });
    const contendedKey = (await stack.runtime.accounts.createKey('contended', {})).key;
    const t = performance.now();
    const lat = await load(`${stack.server.baseUrl}/chat/completions`, { authorization: `Bearer ${contendedKey}` }, chat(false), 200, 50);
    const secs = (performance.now() - t) / 1000;
    console.log(
      `\n## Budget contention\n200 requests, 50 concurrent, one account budget: ${(lat.length / secs).toFixed(0)} req/s, p50 ${ms(pct(lat, 50))}, p95 ${ms(pct(lat, 95))}`,
    );
  } finally {
    await stack.stop();
    await up.close();
  }
}

/** A route whose cheapest offer fails (HTTP 500 after 100 ms, as a dying host answers): before and after its breaker opens. */
async function deadCheapest(): Promise<void> {
  const dead = await startOpenAIUpstream('dead');
  const live = await startOpenAIUpstream('live');
  dead.mode = { kind: 'status', status: 500, delayMs: 100 };
  live.usage = { prompt: 20, completion: 6, cached: 0 };
  const stack = await startLocalStack({
    port: 0,
    env: {
      PATH: process.env.PATH,
      CTR_CONFIG_JSON: JSON.stringify(threeProviderConfig({ cheap: dead.url, mid: live.url, dear: live.url }, { enabled: true })),
      CHEAP_KEY: 'k',
      MID_KEY: 'k',
      DEAR_KEY: 'k',
      CTR_TABLE_PREFIX: 'bench-health-',
      CTR_LOCAL_MASTER_KEY: randomBytes(32).toString('hex'),
    },
    log: jsonLogger(() => undefined),
  });
  try {
    await stack.runtime.accounts.createAccount({ accountId: 'health' });
    const auth = { authorization: `Bearer ${(await stack.runtime.accounts.createKey('health', {})).key}` };
    const body = (extra: Record<string, unknown>) => () => ({
      model: 'acme/llama-test',
      messages: [{ role: 'user', content: 'Say something short.' }],
      max_tokens: 16,
      ...extra,
    });
    const url = `${stack.server.baseUrl}/chat/completions`;
    const before = await load(url, auth, body({}), 3, 1); // the breaker opens after 3 failures in a row
    const after = await load(url, auth, body({}), 50, 1);
    const healthy = await load(url, auth, body({ provider: { order: ['mid'] } }), 50, 1);
    console.log(
      `\n## A dead cheapest offer (HTTP 500 after 100 ms; breaker opens after 3 failures in a row)\n${table([
        { route: 'dead cheapest, breaker closed', requests: before.length, p50: ms(pct(before, 50)), p95: ms(pct(before, 95)) },
        { route: 'dead cheapest, breaker open', requests: after.length, p50: ms(pct(after, 50)), p95: ms(pct(after, 95)) },
        { route: 'healthy first offer', requests: healthy.length, p50: ms(pct(healthy, 50)), p95: ms(pct(healthy, 95)) },
      ])}\ncalls that reached the dead offer: ${dead.requests.length} (3 before the breaker opened, the rest half-open probes)`,
    );
  } finally {
    await stack.stop();
    await dead.close();
    await live.close();
  }
}

await bundles();
routing();
await overhead();
await deadCheapest();
console.log(`\nnode ${process.version}, ${process.platform}/${process.arch}`);
