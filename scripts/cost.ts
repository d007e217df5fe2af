/**
 * `npm run cost`: the infra cost per million chat requests of the deployment `config/router.config.json`
 * (or `CTR_CONFIG`) describes, read from its stacks synthesized offline, the store operations and log
 * bytes counted per request (scripts/cost/store-ops.json) and published prices (scripts/cost/prices.ts);
 * next to the fee a hosted router takes on a typical request; and the limits table replicated or regional.
 */

import { table } from '../bench/stats';
import { Catalog } from '../lambdas/core/catalog';
import { configPath, loadConfigFile } from '../lambdas/core/config';
import { estimateCostNanoUsd } from '../lambdas/core/pricing';
import { type CostAssumptions, costPerMillion, limitsTableMonthly, replicaCount, total } from './cost/compute';
import { HOSTED_ROUTER_FEE, PRICES_AS_OF } from './cost/prices';
import { loadStoreOps } from './cost/store-ops';
import { accessLogBytes, deploymentShape, synthesizeStacks } from './cost/templates';

/** Assumptions, each stated where it is printed. */
const ASSUMED = {
  /** A DynamoDB call in-region, p50 (single-digit milliseconds for items of a few hundred bytes). */
  storeRoundTripMs: 5,
  /** The router's CPU per request in the function (parse, route, render, meter). */
  routerCpuMs: 3,
  requestsPerMonth: 10_000_000,
  activeAccounts: 10,
  warmInstances: 2,
  /** Share of requests whose metering goes to the outbox (the store failed). */
  outboxShare: 0,
};

const usd = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 1 ? n.toFixed(2) : n.toFixed(4));

const config = loadConfigFile(configPath());
const shape = deploymentShape(synthesizeStacks(config));
const ops = loadStoreOps();
const minutesPerMonth = 730 * 60;
const kmsCallsPerRequest = (ASSUMED.activeAccounts * ASSUMED.warmInstances * (minutesPerMonth / 5)) / ASSUMED.requestsPerMonth;
const base = (o: typeof ops.requests.limits, upstreamSeconds: number): CostAssumptions => ({
  upstreamSeconds,
  routerOverheadMs: o.roundTrips * ASSUMED.storeRoundTripMs + ASSUMED.routerCpuMs,
  accessLogBytes: accessLogBytes(shape.accessLogFormat),
  kmsCallsPerRequest: Number(kmsCallsPerRequest.toFixed(4)),
  outboxShare: ASSUMED.outboxShare,
});

// A typical request: 1,000 prompt and 300 completion tokens on the median-priced chat model of the catalog (at its cheapest offer).
const catalog = new Catalog(config);
const priced = [...catalog.models.values()]
  .filter((m) => (m.config.kind ?? 'chat') === 'chat' && !m.id.startsWith('mock/') && m.offers.length > 0)
  .map((m) => ({ id: m.id, nano: Math.min(...m.offers.map((o) => estimateCostNanoUsd(1000, 300, o.price))) }))
  .sort((a, b) => a.nano - b.nano);
const typical = priced[Math.floor(priced.length / 2)]!;
const typicalUsd = typical.nano / 1e9;
const feePerMillion = typicalUsd * HOSTED_ROUTER_FEE * 1e6;

console.log(`# Infra cost per million chat requests (us-east-1 prices as of ${PRICES_AS_OF}; ${configPath()})`);
console.log(
  `chat function: ${shape.functions.find((f) => f.name === 'chat')?.memoryMb} MB ${shape.functions.find((f) => f.name === 'chat')?.architecture}; router regions: ${shape.routerRegions.join(', ')}; WAF ${shape.wafEnabled ? 'on' : 'off'}; store ops: ${ops.measuredOn}, ${ops.howMeasured}`,
);
for (const [kind, o] of [
  ['key with an RPM limit and a daily budget', ops.requests.limits],
  ['key without limits', ops.requests.noLimits],
] as const) {
  const columns = [1, 3, 30].map((s) => costPerMillion(shape, o, base(o, s)));
  const rows = columns[0]!.map((line, i) => ({
    item: line.item,
    'upstream 1 s': usd(columns[0]![i]!.perMillion),
    'upstream 3 s': usd(columns[1]![i]!.perMillion),
    'upstream 30 s': usd(columns[2]![i]!.perMillion),
    basis: columns[1]![i]!.basis.replace(/upstream 3 s/, 'upstream 1/3/30 s'),
  }));
  rows.push({
    item: 'total per million',
    'upstream 1 s': usd(total(columns[0]!)),
    'upstream 3 s': usd(total(columns[1]!)),
    'upstream 30 s': usd(total(columns[2]!)),
    basis: '',
  });
  rows.push({
    item: 'hosted router fee (5.5 %)',
    'upstream 1 s': usd(feePerMillion),
    'upstream 3 s': usd(feePerMillion),
    'upstream 30 s': usd(feePerMillion),
    basis: `of $${typicalUsd.toFixed(6)} per request`,
  });
  console.log(`\n## ${kind} (USD per million requests)\n${table(rows)}`);
}
console.log(
  `\ntypical request: ${typical.id} (median of ${priced.length} chat models by their cheapest offer), 1,000 prompt + 300 completion tokens = $${typicalUsd.toFixed(6)} (lambdas/core/pricing.ts); a hosted router's ${HOSTED_ROUTER_FEE * 100} % is $${(feePerMillion / 1e6).toFixed(7)} per request.`,
);
console.log(
  `assumptions: router time in the function = ${ops.requests.limits.roundTrips} (limits) / ${ops.requests.noLimits.roundTrips} (none) store round trips × ${ASSUMED.storeRoundTripMs} ms + ${ASSUMED.routerCpuMs} ms CPU; KMS: ${ASSUMED.activeAccounts} accounts × ${ASSUMED.warmInstances} warm instances × a Decrypt per 5 min at ${ASSUMED.requestsPerMonth.toLocaleString('en')} requests a month; a stream bills its function for the whole stream; API Gateway access-log line ${accessLogBytes(shape.accessLogFormat)} B; fixed monthly costs (KMS keys, secret, alarms, dashboard, storage) are not per request.`,
);

const limitsRegions = replicaCount(shape, 'limits');
const rows = [1e6, 1e7, 1e8].flatMap((n) =>
  [limitsRegions, 3, 5].map((regions) => {
    const m = limitsTableMonthly(ops.requests.limits, n, regions);
    return {
      'requests / month': n.toLocaleString('en'),
      regions,
      'replicated (USD/month)': usd(m.replicated),
      'regional (USD/month)': usd(m.regional),
      'saved by regional': usd(m.replicated - m.regional),
    };
  }),
);
console.log(
  `\n## The limits table: replicated (today: ${limitsRegions} regions) or regional (written only in the home region)\n${table(rows)}\n${ops.requests.limits.tables.limits?.writeUnits ?? 0} WRU per request with limits; a regional table drops the replicated writes (its items live minutes, by TTL), at the price of failover: limits would need the home region.`,
);
