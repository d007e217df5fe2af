/**
 * Powertools for AWS Lambda in the router's handlers: the Logger behind the allow-list `Logger`
 * port (so a log entry can still only carry ids, counts, timings and codes — never content),
 * Metrics as the process's `MetricsSink` (in Lambda one EMF record per point, published at once,
 * because metering runs after the response and after any middy `after`; in the long-running local
 * server the points of a metering linger share a record per dimension set), and the Tracer, loaded only
 * when `POWERTOOLS_TRACE_ENABLED` is `true` (deployment.tracing), so it costs nothing when off.
 */

import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { LogFields, Logger } from '../core/log';
import { meteringLingerMs } from '../core/metering';
import { type MetricPoint, type MetricsSink, SERVICE_NAME, setProcessMetrics } from '../core/metrics';

/** Metric namespace when `POWERTOOLS_METRICS_NAMESPACE` is unset (local mode); the CDK sets `CheapTokenRouter/<namePrefix>`. */
export const DEFAULT_NAMESPACE = 'CheapTokenRouter/local';

/** Where Powertools writes its JSON lines (stdout in Lambda; the local server's log sink locally). */
export type LineWriter = (line: string) => void;

/** A console-like object writing each line to `write` (Powertools prints through `console.*`). */
function consoleTo(write: LineWriter): Console {
  const out = (...args: unknown[]) => write(args.map(String).join(' '));
  return { log: out, info: out, warn: out, error: out, debug: out, trace: out } as unknown as Console;
}

export interface Observability {
  logger: PowertoolsLogger;
  metrics: Metrics;
  /** The allow-list logger the core uses, backed by `logger`. */
  log: Logger;
  sink: MetricsSink;
  /** Publishes the points still gathering (a server stopping). */
  flush(): void;
}

/** Points of one dimension set gathered at most before they are published (a long-running server). */
const MAX_GATHERED_POINTS = 50;

/**
 * Builds the Powertools logger and metrics. With `write`, both print there instead of stdout.
 *
 * @example
 * const obs = createObservability(process.env);
 * setProcessMetrics(obs.sink);
 */
export function createObservability(env: NodeJS.ProcessEnv = process.env, write?: LineWriter): Observability {
  const logger = new PowertoolsLogger({ serviceName: SERVICE_NAME, logLevel: 'INFO' });
  const metrics = new Metrics({ namespace: env.POWERTOOLS_METRICS_NAMESPACE ?? DEFAULT_NAMESPACE, serviceName: SERVICE_NAME });
  if (write) {
    // Powertools' own console is fixed to stdout; the local server and the tests collect lines instead.
    (logger as unknown as { console: Console }).console = consoleTo(write);
    (metrics as unknown as { console: Console }).console = consoleTo(write);
  }
  const log: Logger = {
    log(level, message, fields: LogFields = {}) {
      logger[level](message, { ...fields });
    },
  };
  // One EMF record per list of dimension sets: every point's values under each set (repeated names
  // become value arrays, which CloudWatch aggregates as it would separate records).
  const publish = (dimensionSets: MetricPoint['dimensionSets'], points: readonly MetricPoint[]) => {
    try {
      // An empty set adds the service dimension alone (Powertools' default dimension).
      for (const set of dimensionSets) metrics.addDimensions({ ...set });
      for (const point of points)
        for (const v of point.values) metrics.addMetric(v.name, v.unit === 'Count' ? MetricUnit.Count : MetricUnit.NoUnit, v.value);
      metrics.publishStoredMetrics();
    } catch (err) {
      // A metric must never fail a request; drop the points and say so, by name only.
      metrics.clearMetrics();
      metrics.clearDimensions();
      log.log('warn', 'metric dropped', { errorName: (err as Error).name });
    }
  };
  // With a metering linger (a long-running server, core/metering.ts), points gather for that long
  // and go out as one record per dimension set; otherwise (Lambda) each point is published at once.
  const lingerMs = meteringLingerMs(env);
  const gathered = new Map<string, MetricPoint[]>();
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    for (const points of gathered.values()) publish(points[0]!.dimensionSets, points);
    gathered.clear();
  };
  const sink: MetricsSink = {
    emit(point: MetricPoint) {
      if (lingerMs <= 0) return publish(point.dimensionSets, [point]);
      const key = JSON.stringify(point.dimensionSets);
      const points = gathered.get(key) ?? [];
      points.push(point);
      gathered.set(key, points);
      // Powertools publishes by itself at 100 values of one name; stay under that.
      if (points.length >= MAX_GATHERED_POINTS) flush();
      else timer ??= setTimeout(flush, lingerMs).unref();
    },
  };
  return { logger, metrics, log, sink, flush };
}

let current: Observability | undefined;

/** The process's Powertools instances, created on first use and installed as the process metrics sink. */
export function observability(): Observability {
  if (!current) {
    current = createObservability();
    setProcessMetrics(current.sink);
  }
  return current;
}

/** Replaces the process's instances (the local server, tests). */
export function setObservability(obs: Observability): void {
  current = obs;
  setProcessMetrics(obs.sink);
}

interface WithRequestId {
  event?: { requestContext?: { requestId?: string } };
}

/**
 * Middy middleware: adds the Lambda context and the API Gateway request id to every log entry,
 * counts cold starts, and (when enabled) traces the invocation with X-Ray through Powertools Tracer.
 * Metrics need no flush here: the sink publishes every point itself (at once in Lambda, at the end
 * of its linger in the local server), so Powertools' own buffer is empty after every request.
 */
export function observe<E extends WithRequestId, R>(): middy.MiddlewareObj<E, R, Error, Context> {
  let tracing: Promise<middy.MiddlewareObj<E, R, Error, Context> | undefined> | undefined;
  const tracer = () => {
    tracing ??= process.env.POWERTOOLS_TRACE_ENABLED === 'true' ? loadTracer<E, R>() : Promise.resolve(undefined);
    return tracing;
  };
  return {
    before: async (request) => {
      const { logger, metrics } = observability();
      if (request.context?.awsRequestId) logger.addContext(request.context);
      // The request id is the only temporary key: replacing it is cheaper than clearing all keys first.
      const requestId = request.event?.event?.requestContext?.requestId;
      if (requestId) logger.appendKeys({ requestId });
      else logger.resetKeys();
      metrics.captureColdStartMetric();
      await (await tracer())?.before?.(request);
    },
    after: async (request) => {
      await (await tracer())?.after?.(request);
    },
    onError: async (request) => {
      await (await tracer())?.onError?.(request);
    },
  };
}

/** Powertools Tracer, imported only when tracing is on (it pulls in the X-Ray SDK). */
async function loadTracer<E, R>(): Promise<middy.MiddlewareObj<E, R, Error, Context>> {
  const [{ Tracer }, { captureLambdaHandler }] = await Promise.all([
    import('@aws-lambda-powertools/tracer'),
    import('@aws-lambda-powertools/tracer/middleware'),
  ]);
  const tracer = new Tracer({ serviceName: SERVICE_NAME });
  return captureLambdaHandler(tracer, { captureResponse: false }) as unknown as middy.MiddlewareObj<E, R, Error, Context>;
}
