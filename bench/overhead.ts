/**
 * Added latency and throughput, side by side in one process: the same client calls one mock
 * OpenAI upstream directly, through a bare Node passthrough (the floor of a Node gateway), and
 * through the router's local server (the Lambda handlers, DynamoDB Local) with a key without limits
 * and one with an RPM limit and a daily budget. Sequential rounds interleave the targets, so load
 * on a shared machine falls on all of them alike.
 */
import { threeProviderConfig } from '../test/helpers/config';
import { startOpenAIUpstream } from '../test/helpers/openai-upstream';
import { importBundled } from './bundle';
import { ms, pct, table } from './stats';

interface Target {
  name: string;
  /** OpenAI base URL. */
  url: string;
  headers: Record<string, string>;
  model: string;
}

interface Sample {
  /** Until the last byte of the response. */
  totalMs: number;
  /** Until the first content token of a stream (the buffered response: its last byte). */
  ttftMs: number;
}

const PROMPT = [{ role: 'user', content: 'Say something short.' }];
const decoder = new TextDecoder();

/** One chat completion; throws on a non-200 answer. */
async function call(t: Target, stream: boolean): Promise<Sample> {
  const start = performance.now();
  const res = await fetch(`${t.url}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...t.headers },
    body: JSON.stringify({
      model: t.model,
      messages: PROMPT,
      max_tokens: 16,
      ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
    }),
  });
  let ttft = Number.NaN;
  let seen = '';
  for await (const piece of res.body ?? []) {
    if (stream && Number.isNaN(ttft)) {
      seen += decoder.decode(piece as Uint8Array, { stream: true });
      if (/"content":"[^"]/.test(seen)) ttft = performance.now() - start;
    }
  }
  const totalMs = performance.now() - start;
  if (res.status !== 200) throw new Error(`${t.name}: HTTP ${res.status}`);
  return { totalMs, ttftMs: stream ? ttft : totalMs };
}

/** `count` calls at `concurrency`, stopping early at `deadline`; returns the samples and the elapsed seconds. */
async function run(t: Target, stream: boolean, count: number, concurrency: number, deadline: number) {
  const samples: Sample[] = [];
  let next = 0;
  const start = performance.now();
  const worker = async () => {
    while (next < count && Date.now() < deadline) {
      next++;
      samples.push(await call(t, stream));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { samples, seconds: (performance.now() - start) / 1000 };
}

export interface OverheadOptions {
  /** Sequential requests per target and mode, spread over `rounds`. */
  perTarget: number;
  rounds: number;
  /** Requests per target in the throughput run (at most `throughputSeconds` each). */
  throughputCount: number;
  throughputSeconds: number;
  concurrency: number;
}

export interface OverheadFigures {
  /** Added p50 (buffered, sequential) beyond the passthrough's, in ms: without and with limits. */
  beyondNoLimitsMs: number;
  beyondLimitsMs: number;
  /** Added p50 (buffered, sequential) of the router over the passthrough's: without and with limits. */
  ratioNoLimits: number;
  ratioLimits: number;
  /** The same against the passthrough that forwards with `fetch` (for comparison only). */
  ratioNoLimitsFetch: number;
  ratioLimitsFetch: number;
  /** Throughput at `concurrency` of the router without and with limits, as a share of the passthrough's. */
  throughputShareNoLimits: number;
  throughputShareLimits: number;
}

/** Runs the comparison and prints its tables; returns the figures the bench's targets are stated in. */
export async function overhead(o: OverheadOptions, deadline: number): Promise<OverheadFigures> {
  // Both gateways run as bundles, as Lambda runs the handlers (bench/bundle.ts); the client and the mock upstream are shared.
  const { startBenchStack } = await importBundled<typeof import('./local-router')>('./local-router.ts', 'router');
  const { startPassthrough } = await importBundled<typeof import('./passthrough')>('./passthrough.ts', 'passthrough');
  const up = await startOpenAIUpstream('bench');
  up.usage = { prompt: 20, completion: 6, cached: 0 };
  const pass = await startPassthrough(up.url);
  const passFetch = await startPassthrough(up.url, 'fetch');
  const stack = await startBenchStack('bench-', {
    CTR_CONFIG_JSON: JSON.stringify(threeProviderConfig({ cheap: up.url, mid: up.url, dear: up.url })),
    CHEAP_KEY: 'k',
  });
  try {
    const keyFor = async (accountId: string, limits?: Record<string, number>) => {
      await stack.runtime.accounts.createAccount({ accountId, ...(limits ? { limits } : {}) });
      return { authorization: `Bearer ${(await stack.runtime.accounts.createKey(accountId, {})).key}` };
    };
    const targets: Target[] = [
      { name: 'direct', url: up.url, headers: {}, model: 'llama-cheap' },
      { name: 'passthrough', url: pass.url, headers: {}, model: 'llama-cheap' },
      { name: 'passthrough (fetch)', url: passFetch.url, headers: {}, model: 'llama-cheap' },
      { name: 'router, no limits', url: stack.server.baseUrl, headers: await keyFor('bench-free'), model: 'acme/llama-test' },
      {
        name: 'router, rpm + daily budget',
        url: stack.server.baseUrl,
        headers: await keyFor('bench-limited', { rpm: 1_000_000, dailyBudgetUsd: 1000 }),
        model: 'acme/llama-test',
      },
    ];
    for (const t of targets) for (const stream of [false, true]) await run(t, stream, 30, 1, deadline); // warm-up

    // Sequential: rounds interleave the targets.
    const seq = new Map<string, Sample[]>();
    const per = Math.ceil(o.perTarget / o.rounds);
    for (let r = 0; r < o.rounds; r++)
      for (const stream of [false, true])
        for (const t of targets) {
          const key = `${t.name}|${stream}`;
          seq.set(key, [...(seq.get(key) ?? []), ...(await run(t, stream, per, 1, deadline)).samples]);
        }
    const rows: Array<Record<string, string | number>> = [];
    const added = new Map<string, number>();
    for (const stream of [false, true]) {
      const pick = (s: Sample) => (stream ? s.ttftMs : s.totalMs);
      const p50 = (name: string) => pct(seq.get(`${name}|${stream}`)!.map(pick), 50);
      const direct = p50('direct');
      for (const t of targets) {
        const xs = seq.get(`${t.name}|${stream}`)!.map(pick);
        const add = pct(xs, 50) - direct;
        added.set(`${t.name}|${stream}`, add);
        const floor = added.get(`passthrough|${stream}`);
        rows.push({
          target: t.name,
          mode: stream ? 'streamed (TTFT)' : 'buffered',
          requests: xs.length,
          p50: ms(pct(xs, 50)),
          p90: ms(pct(xs, 90)),
          p99: ms(pct(xs, 99)),
          'added p50': t.name === 'direct' ? '-' : ms(add),
          'added / passthrough added': t.name === 'direct' || floor === undefined ? '-' : `${(add / floor).toFixed(2)}×`,
          // The same gap in milliseconds: less swayed by the passthrough's own (small, noisy) figure.
          'added beyond passthrough': t.name === 'direct' || t.name === 'passthrough' || floor === undefined ? '-' : ms(add - floor),
        });
      }
    }
    console.log(
      `\n## Added latency, one request at a time (p50/p90/p99 of ${o.perTarget} per row, ${o.rounds} interleaved rounds)\n${table(rows)}`,
    );

    // Throughput: buffered requests at a fixed concurrency, in rounds that interleave the targets
    // (as above), so drift in the machine's load and JIT warm-up fall on all of them alike.
    const tput: Array<Record<string, string | number>> = [];
    const rate = new Map<string, number>();
    const runs = new Map<string, { samples: Sample[]; seconds: number }>();
    const tputDeadline = Math.min(deadline, Date.now() + o.throughputSeconds * 1000 * (targets.length - 1));
    const perRound = Math.ceil(o.throughputCount / o.rounds);
    for (let r = 0; r < o.rounds; r++)
      for (const t of targets.slice(1)) {
        const got = await run(t, false, perRound, o.concurrency, tputDeadline);
        const sum = runs.get(t.name) ?? { samples: [], seconds: 0 };
        runs.set(t.name, { samples: [...sum.samples, ...got.samples], seconds: sum.seconds + got.seconds });
      }
    for (const t of targets.slice(1)) {
      const { samples, seconds } = runs.get(t.name)!;
      const rps = samples.length / seconds;
      rate.set(t.name, rps);
      tput.push({
        target: t.name,
        concurrency: o.concurrency,
        requests: samples.length,
        'req/s': rps.toFixed(0),
        p50: ms(
          pct(
            samples.map((s) => s.totalMs),
            50,
          ),
        ),
        p99: ms(
          pct(
            samples.map((s) => s.totalMs),
            99,
          ),
        ),
        'share of passthrough req/s': `${(rps / rate.get('passthrough')!).toFixed(2)}`,
      });
    }
    console.log(
      `\n## Throughput (buffered, ${o.concurrency} concurrent, ${o.rounds} interleaved rounds; client, servers and upstream in this one process)\n${table(tput)}`,
    );
    const mem = process.memoryUsage();
    console.log(`bench process: rss ${(mem.rss / 2 ** 20).toFixed(0)} MiB, heap used ${(mem.heapUsed / 2 ** 20).toFixed(0)} MiB`);
    const pass50 = added.get('passthrough|false')!;
    const fetch50 = added.get('passthrough (fetch)|false')!;
    return {
      beyondNoLimitsMs: added.get('router, no limits|false')! - pass50,
      beyondLimitsMs: added.get('router, rpm + daily budget|false')! - pass50,
      ratioNoLimitsFetch: added.get('router, no limits|false')! / fetch50,
      ratioLimitsFetch: added.get('router, rpm + daily budget|false')! / fetch50,
      ratioNoLimits: added.get('router, no limits|false')! / pass50,
      ratioLimits: added.get('router, rpm + daily budget|false')! / pass50,
      throughputShareNoLimits: rate.get('router, no limits')! / rate.get('passthrough')!,
      throughputShareLimits: rate.get('router, rpm + daily budget')! / rate.get('passthrough')!,
    };
  } finally {
    await stack.stop();
    await pass.close();
    await passFetch.close();
    await up.close();
  }
}
