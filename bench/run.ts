/**
 * `npm run bench`: speed and memory, measured (never asserted in tests), in one process and one run.
 *
 * 1. Lambda cold start: each function's bundle, built as the stacks build it, imported and
 *    initialized in a fresh Node process, next to a bundle with only the DynamoDB client
 *    (bench/cold-start.ts).
 * 2. Routing: planRoute() calls per second on the shipped catalog.
 * 3. Added latency and throughput: direct to a mock OpenAI upstream, through a bare Node
 *    passthrough, and through the router's local server (DynamoDB Local) without and with limits,
 *    buffered and streamed (bench/overhead.ts).
 * 4. A dead cheapest offer: latency of its route before and after its breaker opens, next to a
 *    healthy route.
 * 5. Many open streams: one server process holding 1,000 slow streams (bench/streams.ts).
 * Then the targets, each as measured against its bound.
 *
 * Every loop is bounded in count and time (about 5 minutes in all); everything binds to 127.0.0.1.
 */
import { Catalog } from '../lambdas/core/catalog';
import { DEFAULT_CONFIG_PATH, loadConfigFile } from '../lambdas/core/config';
import { chatNeeds, planRoute } from '../lambdas/core/routing';
import type { ChatRequest } from '../lambdas/domain/chat-request';
import { threeProviderConfig } from '../test/helpers/config';
import { startOpenAIUpstream } from '../test/helpers/openai-upstream';
import { importBundled } from './bundle';
import { coldStartTable, measureColdStarts } from './cold-start';
import { overhead } from './overhead';
import { ms, pct, table } from './stats';
import { manyStreams } from './streams';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const DEADLINE = Date.now() + 5 * 60_000;

/** Sequential calls (the dead-offer section). */
async function load(url: string, headers: Record<string, string>, body: () => unknown, count: number): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < count && Date.now() < DEADLINE; i++) {
    const t = performance.now();
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body()),
    });
    await res.text();
    if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
    latencies.push(performance.now() - t);
  }
  return latencies;
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

/** A route whose cheapest offer fails (HTTP 500 after 100 ms, as a dying host answers): before and after its breaker opens. */
async function deadCheapest(): Promise<void> {
  const { startBenchStack } = await importBundled<typeof import('./local-router')>('./local-router.ts', 'router');
  const dead = await startOpenAIUpstream('dead');
  const live = await startOpenAIUpstream('live');
  dead.mode = { kind: 'status', status: 500, delayMs: 100 };
  live.usage = { prompt: 20, completion: 6, cached: 0 };
  const stack = await startBenchStack('bench-health-', {
    CTR_CONFIG_JSON: JSON.stringify(threeProviderConfig({ cheap: dead.url, mid: live.url, dear: live.url }, { enabled: true })),
    CHEAP_KEY: 'k',
    MID_KEY: 'k',
    DEAR_KEY: 'k',
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
    const before = await load(url, auth, body({}), 3); // the breaker opens after 3 failures in a row
    const after = await load(url, auth, body({}), 50);
    const healthy = await load(url, auth, body({ provider: { order: ['mid'] } }), 50);
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

const started = Date.now();
const cold = await measureColdStarts(Number(process.env.BENCH_COLD_RUNS) || 9);
console.log(
  `## Lambda cold start (each bundle built as the stacks build it; a fresh Node process per run, median of ${Number(process.env.BENCH_COLD_RUNS) || 9})\n${table(coldStartTable(cold))}`,
);
routing();
const figures = await overhead({ perTarget: 400, rounds: 4, throughputCount: 2000, throughputSeconds: 15, concurrency: 32 }, DEADLINE);
await deadCheapest();
await manyStreams({ streams: 1000, pieces: 200, pieceMs: 50, probes: 20 }, Date.now() + 150_000);

const chat = cold.find((r) => r.target === 'chat')!;
const base = cold.find((r) => r.target === 'dynamodb-only')!;
const check = (what: string, value: number, bound: number, atMost: boolean) =>
  `${(atMost ? value <= bound : value >= bound) ? 'met    ' : 'not met'}  ${what}: ${value.toFixed(2)} (${atMost ? '≤' : '≥'} ${bound})`;
console.log(
  [
    '\n## Targets (measured in this run)',
    check('router added p50 beyond the passthrough, no limits (buffered, ms)', figures.beyondNoLimitsMs, 0.5, true),
    check('router added p50 beyond the passthrough, rpm + budget (buffered, ms)', figures.beyondLimitsMs, 0.5, true),
    `         (as ratios of the passthrough's added p50: ${figures.ratioNoLimits.toFixed(2)} without limits, ${figures.ratioLimits.toFixed(2)} with; against the passthrough that forwards with fetch: ${figures.ratioNoLimitsFetch.toFixed(2)} / ${figures.ratioLimitsFetch.toFixed(2)}; for comparison, not targets)`,
    check('router req/s at 32 concurrent / passthrough req/s, no limits', figures.throughputShareNoLimits, 0.5, false),
    check('router req/s at 32 concurrent / passthrough req/s, rpm + budget', figures.throughputShareLimits, 0.5, false),
    check('chat bundle import / DynamoDB-only bundle import', chat.importMs / base.importMs, 1.3, true),
    check('chat bundle import + init / DynamoDB-only bundle import + init', chat.initMs / base.initMs, 1.3, true),
  ].join('\n'),
);
console.log(`\nnode ${process.version}, ${process.platform}/${process.arch}, ${((Date.now() - started) / 1000).toFixed(0)} s`);
