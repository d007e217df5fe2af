/**
 * The local server: a small Node http adapter that turns requests into API Gateway proxy
 * events and calls the very same Lambda handlers the cloud runs. It emulates Lambda response
 * streaming (the `awslambda` global) for the chat route. Binds to 127.0.0.1 only.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Writable } from 'node:stream';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { Logger } from '../core/log';
import { MAX_BODY_BYTES } from '../handlers/http';
import type { Runtime } from '../handlers/runtime';
import type { AwsLambdaGlobal, StreamingHandler } from '../handlers/streaming';
import { RouterError } from '../domain/errors';
import { httpErrorOf } from '../handlers/http-errors';

/** Installs a minimal emulation of the Lambda runtime's `awslambda` global. */
export function installAwsLambdaEmulation(): void {
  // The AWS SDK itself may already have put an `awslambda` object (InvokeStore) on globalThis.
  const g = globalThis as unknown as { awslambda?: Partial<AwsLambdaGlobal> };
  const lambda = (g.awslambda ??= {});
  lambda.streamifyResponse ??= (fn) => fn;
  lambda.HttpResponseStream ??= {
    from(stream: Writable, prelude) {
      (stream as ServerResponse).writeHead(prelude.statusCode, prelude.headers);
      (stream as ServerResponse).flushHeaders();
      return stream;
    },
  };
}

function isLoopback(address: string | undefined): boolean {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1' || (address?.startsWith('127.') ?? false);
}

type BufferedHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

interface Route {
  match(method: string, path: string): boolean;
  handler: 'chat' | 'api' | 'admin';
}

/** The routes, as API Gateway maps them (see lib/). */
const ROUTES: Route[] = [
  { match: (_m, p) => p === '/v1/chat/completions' || p === '/v1/messages', handler: 'chat' },
  { match: (_m, p) => p.startsWith('/admin/') || p.startsWith('/v1/privacy/'), handler: 'admin' },
  { match: (_m, p) => p.startsWith('/v1/'), handler: 'api' },
];

function lambdaContext(requestId: string): Context {
  const deadline = Date.now() + 15 * 60_000;
  return {
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

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw RouterError.tooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function toEvent(req: IncomingMessage, body: string, requestId: string): APIGatewayProxyEvent {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
  const query: Record<string, string> = {};
  url.searchParams.forEach((v, k) => (query[k] = v));
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
export async function startLocalServer(options: { port: number; runtime: Promise<Runtime>; log: Logger }): Promise<LocalServer> {
  installAwsLambdaEmulation();
  const { setRuntime } = await import('../handlers/runtime');
  setRuntime(options.runtime);
  await options.runtime;
  const chat = (await import('../handlers/chat')).handler as StreamingHandler;
  const api = (await import('../handlers/api')).handler as BufferedHandler;
  const admin = (await import('../handlers/admin')).handler as unknown as BufferedHandler;
  const handlers = { api, admin };

  const server = createServer(async (req, res) => {
    const requestId = randomUUID();
    try {
      const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
      const route = ROUTES.find((r) => r.match(req.method ?? 'GET', path));
      if (!route) throw RouterError.notFound(`Unknown route ${req.method} ${path}. The API is under /v1.`, null, 'unknown_route');
      if (path.startsWith('/admin/') && !isLoopback(req.socket.remoteAddress)) {
        throw RouterError.forbidden('The admin API is reachable from loopback only in local mode.', 'admin_loopback_only');
      }
      const event = toEvent(req, await readBody(req), requestId);
      const context = lambdaContext(requestId);
      if (route.handler === 'chat') {
        await chat(event, res, context);
        if (!res.writableEnded) res.end();
        return;
      }
      const result = await handlers[route.handler](event, context);
      res.writeHead(result.statusCode, result.headers as Record<string, string>);
      res.end(result.body);
    } catch (err) {
      if (!(err instanceof RouterError)) options.log.log('error', 'local server error', { errorName: (err as Error)?.name });
      const e = httpErrorOf(err);
      if (!res.headersSent) res.writeHead(e.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(e.body));
    }
  });
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
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
