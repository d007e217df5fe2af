/**
 * Infra cost per million chat requests, from a deployment's shape (synthesized templates), the
 * store operations and log bytes measured per request, and published prices. Pure arithmetic: no
 * AWS calls; every assumption is a named input.
 */
import type { TableId } from '../../lambdas/store/tables';
import { tableName } from '../../lib/naming';
import { PRICES } from './prices';
import type { PerRequestOps } from './store-ops';
import type { DeploymentShape } from './templates';

export interface CostAssumptions {
  /** Seconds the upstream takes (a stream bills the function for the whole stream). */
  upstreamSeconds: number;
  /** The router's own time in the function per request, in ms (its store round trips and CPU). */
  routerOverheadMs: number;
  /** Bytes of one API Gateway access-log line. */
  accessLogBytes: number;
  /**
   * KMS calls per request: one Decrypt per account per warm function instance every 5 minutes
   * (the data-key cache), spread over the requests of that time.
   */
  kmsCallsPerRequest: number;
  /** Requests that reach the outbox (the store failed): each one SQS send and one receive. */
  outboxShare: number;
}

/** One line of the cost table: per million requests, in USD. */
export interface CostLine {
  item: string;
  perMillion: number;
  basis: string;
}

export const PER = 1e6;

/** The chat function's memory and price per GB-second in the home region. */
export function chatFunction(shape: DeploymentShape, region?: string) {
  const fn =
    shape.functions.find((f) => f.name === 'chat' && (!region || f.region === region)) ?? shape.functions.find((f) => f.name === 'chat');
  if (!fn) throw new Error('no chat function in the synthesized stacks');
  const perGbSecond = fn.architecture === 'arm64' ? PRICES.lambdaArmPerGbSecond : PRICES.lambdaX86PerGbSecond;
  return { ...fn, perGbSecond };
}

/** Replica regions of a table (1 when regional). */
export function replicaCount(shape: DeploymentShape, tableId: string, namePrefix = 'ctr'): number {
  return shape.tables.find((t) => t.name === tableName(namePrefix, tableId as TableId))?.regions.length ?? 1;
}

/** The cost lines of one million requests of the kind `ops` describes. */
export function costPerMillion(shape: DeploymentShape, ops: PerRequestOps, a: CostAssumptions): CostLine[] {
  const fn = chatFunction(shape);
  const seconds = a.upstreamSeconds + a.routerOverheadMs / 1000;
  const gbSeconds = (fn.memoryMb / 1024) * seconds;
  let writes = 0;
  let replicated = 0;
  let reads = 0;
  for (const [table, t] of Object.entries(ops.tables)) {
    writes += t.writeUnits;
    replicated += t.writeUnits * (replicaCount(shape, table) - 1);
    reads += t.readUnits;
  }
  const logBytes = ops.logBytes + a.accessLogBytes;
  const lines: CostLine[] = [
    {
      item: 'Lambda duration',
      perMillion: gbSeconds * fn.perGbSecond * PER,
      basis: `${fn.memoryMb} MB ${fn.architecture} × ${seconds.toFixed(3)} s (upstream ${a.upstreamSeconds} s + router ${a.routerOverheadMs} ms)`,
    },
    { item: 'Lambda requests', perMillion: PRICES.lambdaPerRequest * PER, basis: '1 invocation' },
    { item: 'API Gateway (REST)', perMillion: PRICES.apiGatewayRestPerRequest * PER, basis: '1 request' },
    { item: 'DynamoDB writes', perMillion: writes * PRICES.dynamoWritePerUnit * PER, basis: `${writes} WRU` },
    {
      item: 'DynamoDB replicated writes',
      perMillion: replicated * PRICES.dynamoReplicatedWritePerUnit * PER,
      basis: `${replicated} rWRU (each write × other replica regions)`,
    },
    { item: 'DynamoDB reads', perMillion: reads * PRICES.dynamoReadPerUnit * PER, basis: `${reads} RRU (key lookups cached)` },
    { item: 'KMS', perMillion: a.kmsCallsPerRequest * PRICES.kmsPerRequest * PER, basis: `${a.kmsCallsPerRequest} calls (data-key cache)` },
    {
      item: 'CloudWatch Logs',
      perMillion: (logBytes / 2 ** 30) * PRICES.logsIngestPerGb * PER,
      basis: `${logBytes} B (function ${ops.logBytes} + access log ${a.accessLogBytes})`,
    },
    { item: 'SQS (outbox)', perMillion: a.outboxShare * 2 * PRICES.sqsPerRequest * PER, basis: `${a.outboxShare * 100} % of requests` },
  ];
  if (shape.wafEnabled) lines.push({ item: 'WAF', perMillion: PRICES.wafPerRequest * PER, basis: '1 request inspected' });
  return lines;
}

export const total = (lines: readonly CostLine[]) => lines.reduce((s, l) => s + l.perMillion, 0);

/** Monthly cost of the limits table's writes when replicated to `regions` regions against a regional table in the home region. */
export function limitsTableMonthly(ops: PerRequestOps, requestsPerMonth: number, regions: number) {
  const units = ops.tables.limits?.writeUnits ?? 0;
  const regional = units * requestsPerMonth * PRICES.dynamoWritePerUnit;
  const replicated = regional + units * requestsPerMonth * (regions - 1) * PRICES.dynamoReplicatedWritePerUnit;
  return { regional, replicated };
}
