/**
 * The local server: a small Node http adapter that turns requests into API Gateway proxy
 * events and calls the very same Lambda handlers the cloud runs, chosen by the same route table
 * (handlers/routes.ts) that API Gateway's resources mirror. It emulates Lambda response streaming
 * (the `awslambda` global) for the chat function. Admin routes answer loopback callers only
 * (the cloud authorizes them with IAM). Binds to 127.0.0.1 only.
 */
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Writable } from 'node:stream';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import type { Logger } from '../core/log';
import { RouterError } from '../domain/errors';
import { MAX_BODY_BYTES } from '../handlers/http';
import { httpErrorOf, isUnexpected } from '../handlers/http-errors';
import type { OperatorTrust } from '../handlers/middleware';
import { bufferedHandler, streamingChatHandler } from '../handlers/resolve';
import { routeTable } from '../handlers/routes';
import { type Runtime, setRuntime } from '../handlers/runtime';
import type { AwsLambdaGlobal } from '../handlers/streaming';
import type { ServedRequest } from './request-log';

/** Installs a minimal emulation of the Lambda runtime's `awslambda` global. */
export function installAwsLambdaEmulation(): void {
  // The AWS SDK itself may already have put an `awslambda` object (InvokeStore) on globalThis.
  const g = globalThis as unknown as { awslambda?: Partial<AwsLambdaGlobal> };
  g.awslambda ??= {};
  const lambda = g.awslambda;
  lambda.streamifyResponse ??= (fn) => fn;
  lambda.HttpResponseStream ??= {
    // The prelude goes out with the first body bytes (streamed bodies flush it at once: streaming.ts).
    from(stream: Writable, prelude) {
      (stream as ServerResponse).writeHead(prelude.statusCode, prelude.headers);
      return stream;
    },
  };
}

/** The emulated Lambda context; `stopSignal` (not in Lambda's) aborts when the server's stop window has passed. */
function lambdaContext(requestId: string, stopSignal: AbortSignal): Context & { stopSignal: AbortSignal } {
  const deadline = Date.now() + 15 * 60_000;
  return {
    stopSignal,
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'ctr-local',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:local:000000000000:function:ctr-local',
    memoryLimitInMB: '256',
    awsRequestId: requestId,
    logGroupName: 'local',
    logStreamName: 'local',
    getRemainingTimeInMillis: () => deadline - Date.now(),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/**
 * The request body as text, read with `data` events (cheaper per request than `for await`, which
 * builds an async generator over the stream). Over `MAX_BODY_BYTES` it stops reading and fails with a
 * 413; the answer then closes the connection (`serve`), so the rest is never read.
 */
function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) return void chunks.push(chunk);
      req.off('data', onData);
      req.pause();
      reject(RouterError.tooLarge());
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.once('error', reject);
  });
}

function toEvent(req: IncomingMessage, url: URL, body: string, requestId: string): APIGatewayProxyEvent {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
  const query: Record<string, string> = {};
  if (url.search) for (const [k, v] of url.searchParams) query[k] = v;
  const path = url.pathname.replace(/\/{2,}/g, '/');
  return {
    resource: path,
    path,
    httpMethod: req.method ?? 'GET',
    headers,
    multiValueHeaders: {},
    queryStringParameters: Object.keys(query).length ? query : null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: body.length ? body : null,
    isBase64Encoded: false,
    requestContext: {
      requestId,
      path,
      httpMethod: req.method ?? 'GET',
      stage: 'local',
      identity: { sourceIp: req.socket.remoteAddress ?? '127.0.0.1' },
    } as APIGatewayProxyEvent['requestContext'],
  };
}

/** How long closing the server waits, after the stop window, for the invocations it ended (their metering, its retries included). */
export const CLOSE_WAIT_MS = 5_000;

/**
 * How long a stopping server lets open requests and streams finish before it ends the streams still
 * open with an explicit error event (`CTR_STOP_WINDOW_MS`): 25 s by default, inside ECS's default
 * 30 s stop timeout, so metering and the return of unused budget slices fit in what is left.
 */
export const DEFAULT_STOP_WINDOW_MS = 25_000;

/** The stop window from the environment (0–600 s), the default otherwise. */
export function stopWindowMs(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env.CTR_STOP_WINDOW_MS);
  return env.CTR_STOP_WINDOW_MS !== undefined && Number.isInteger(v) && v >= 0 && v <= 600_000 ? v : DEFAULT_STOP_WINDOW_MS;
}

export interface LocalServer {
  server: Server;
  port: number;
  baseUrl: string;
  close(): Promise<void>;
}

/**
 * Serves the handlers on 127.0.0.1. The runtime (config, tables, logger) must be set first
 * with `setRuntime`, so the handlers pick it up.
 */
export async function startLocalServer(options: {
  port: number;
  runtime: Promise<Runtime>;
  log: Logger;
  operator?: OperatorTrust;
  /** Told about each request once its invocation ended (the readable local log); off the answer's path. */
  onServed?: (request: ServedRequest) => void | Promise<void>;
  /** How long `close()` lets open requests finish (default `stopWindowMs()`). */
  stopWindowMs?: number;
}): Promise<LocalServer> {
  installAwsLambdaEmulation();
  setRuntime(options.runtime);
  await options.runtime;
  // The Lambda handlers, built as the entries build them; admin routes trust loopback instead of
  // IAM, or check a SigV4 signature against test credentials (`operator`).
  const operator = options.operator ?? 'loopback';
  const chat = streamingChatHandler(routeTable, { operator });
  const buffered = {
    api: bufferedHandler(routeTable, 'api', { operator }),
    admin: bufferedHandler(routeTable, 'admin', { operator }),
    privacy: bufferedHandler(routeTable, 'privacy', { operator }),
  };

  // Invocations still running (metering after the response); closing waits for them.
  const running = new Set<Promise<void>>();
  // Aborted once a stopping server's window has passed: streams still open end with an error event.
  const stopping = new AbortController();
  // Every open stream listens on it (many at once in a long-running server).
  setMaxListeners(0, stopping.signal);
  let draining = false;
  const onServed = options.onServed;
  const server = createServer((req, res) => {
    const invocation = (onServed ? observed(req, res, onServed) : serve(req, res)).finally(() => running.delete(invocation));
    running.add(invocation);
  });
  // Serves a request and then reports what went out: the status and headers as written.
  const observed = async (req: IncomingMessage, res: ServerResponse, report: NonNullable<typeof onServed>): Promise<void> => {
    const started = performance.now();
    let headers: Readonly<Record<string, unknown>> = {};
    const writeHead = res.writeHead.bind(res) as (status: number, h?: Record<string, unknown>) => ServerResponse;
    res.writeHead = ((status: number, h?: Record<string, unknown>) => {
      if (h && typeof h === 'object') headers = h;
      return writeHead(status, h);
    }) as ServerResponse['writeHead'];
    await serve(req, res);
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    await Promise.resolve(
      report({ method: req.method ?? 'GET', path, status: res.statusCode, ms: performance.now() - started, headers }),
    ).catch(() => undefined);
  };
  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const requestId = randomUUID();
    let path = '/';
    try {
      // A request on a kept-alive connection while the server stops: told to retry elsewhere.
      if (draining)
        throw new RouterError('unavailable', 'The server is stopping; retry the request.', { code: 'shutting_down', retryAfterSeconds: 1 });
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      path = url.pathname;
      const event = toEvent(req, url, await readBody(req), requestId);
      const context = lambdaContext(requestId, stopping.signal);
      // The function API Gateway would invoke; it answers 404/405 itself from the same table.
      const fn = routeTable.functionFor(event.httpMethod, event.path);
      if (fn === 'chat') {
        await chat(event, res, context);
        if (!res.writableEnded) res.end();
        return;
      }
      const result = await buffered[fn](event, context);
      res.writeHead(result.statusCode, result.headers as Record<string, string>);
      res.end(result.body);
    } catch (err) {
      if (isUnexpected(err)) options.log.log('error', 'local server error', { errorName: (err as Error)?.name });
      const error = httpErrorOf(err, routeTable.dialectFor(path));
      // A body over the limit is left unread: the connection closes after the answer.
      if (!res.headersSent) res.writeHead(error.status, error.status === 413 ? { ...error.headers, connection: 'close' } : error.headers);
      res.end(error.body);
    }
  };
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolveListen());
  });
  const port = (server.address() as { port: number }).port;
  return {
    server,
    port,
    baseUrl: `http://127.0.0.1:${port}/v1`,
    close: async () => {
      // New connections are refused at once; open requests and streams finish within the stop window,
      // then the streams still open end with an error event and are metered (bounded by CLOSE_WAIT_MS).
      draining = true;
      const closed = new Promise<void>((done) => server.close(() => done()));
      server.closeIdleConnections();
      const settled = () => Promise.allSettled([...running]);
      const within = (ms: number) => Promise.race([settled(), new Promise((r) => setTimeout(r, ms).unref())]);
      await within(options.stopWindowMs ?? stopWindowMs());
      stopping.abort();
      await within(CLOSE_WAIT_MS);
      // The budget slices this instance holds go back to the store (bounded by the runtime).
      await (await options.runtime).close();
      server.closeAllConnections();
      await closed;
    },
  };
}
