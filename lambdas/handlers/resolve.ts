/**
 * Resolving a request against the route table through one middy chain (middleware.ts), and the
 * Lambda handlers built on it: `bufferedHandler` (api, admin) and `streamingChatHandler` (chat,
 * Lambda response streaming). The Lambda entries and the local server build their handlers here,
 * so both run the same code; the client's abort signal is passed explicitly.
 */
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { RequestMeta } from '../domain/caller';
import { cors } from './cors';
import { toProxyResult } from './http';
import type { HttpResult } from './http-result';
import { authenticate, errors, matchRoute, type OperatorTrust, parseBody, type RouteRequest, withRuntime } from './middleware';
import { observe } from './observability';
import { type Auth, type BodySpec, type LambdaFn, type RouteSpec, type RouteTable, route } from './route-table';
import { runtime as processRuntime, type Runtime } from './runtime';
import { type StreamingHandler, streamingHandler } from './streaming';

/** What every route receives besides its params, caller and body. */
export interface RouteInput {
  event: APIGatewayProxyEvent;
  /** Aborts when the client leaves (streamed routes) or the invocation nears its deadline. */
  signal: AbortSignal;
  rt: Runtime;
  /** What metering records of the transport: the client IP (sealed with the account's data key). */
  meta: RequestMeta;
}

/** Declares an app route (the route function gets `RouteInput` plus typed params, caller and body). */
export const defineRoute = <P extends string, A extends Auth, B = undefined>(spec: RouteSpec<P, A, B, RouteInput>) =>
  route<RouteInput, P, A, B>(spec);

/** A required JSON body, validated by `parse` when given. */
export function jsonBody(): BodySpec<unknown>;
export function jsonBody<B>(parse: (raw: unknown) => B): BodySpec<B>;
export function jsonBody<B>(parse?: (raw: unknown) => B): BodySpec<B | unknown> {
  return { json: 'required', parse };
}

/** An optional JSON body (absent is `{}`), validated by `parse` when given. */
export function optionalJsonBody(): BodySpec<unknown>;
export function optionalJsonBody<B>(parse: (raw: unknown) => B): BodySpec<B>;
export function optionalJsonBody<B>(parse?: (raw: unknown) => B): BodySpec<B | unknown> {
  return { json: 'optional', parse };
}

export interface ResolverOptions {
  /** The runtime; default the process's (built on first use). */
  runtime?: () => Promise<Runtime>;
  /** Default `iam` (the deployed API); the local server uses `loopback`. */
  operator?: OperatorTrust;
}

export type Resolver = (event: APIGatewayProxyEvent, context: Context, signal: AbortSignal) => Promise<HttpResult>;

/**
 * Resolves requests against a table: observability (Powertools) → CORS (preflights answered here,
 * headers on every answer) → errors → match → runtime → authentication → body → route.
 * Callable in-process (tests) with any event, context and signal.
 *
 * @example
 * const resolve = createResolver(table.only('api'));
 * const result = await resolve(event, context, new AbortController().signal);
 */
export function createResolver(table: RouteTable<RouteInput>, options: ResolverOptions = {}): Resolver {
  const load = options.runtime ?? processRuntime;
  const chain = middy<RouteRequest<RouteInput>, HttpResult, Error, Context>(async (req: RouteRequest<RouteInput>) => {
    const { route: r, params } = req.match!;
    const sourceIp = req.event.requestContext?.identity?.sourceIp ?? undefined;
    const result = await r.handle({
      event: req.event,
      signal: req.signal,
      rt: req.rt!,
      meta: { sourceIp },
      params,
      caller: req.caller,
      body: req.body,
    });
    const [authStart, authEnd] = req.authTimes ?? [];
    if (authStart !== undefined && authEnd !== undefined) {
      // Server-Timing: authentication first, then the stages the route reported (plan, store, upstream).
      const auth = `auth;dur=${(authEnd - authStart).toFixed(1)}`;
      const rest = result.headers['server-timing'];
      result.headers = { ...result.headers, 'server-timing': rest ? `${auth}, ${rest}` : auth };
    }
    return result;
  })
    .use(observe())
    .use(cors(table, load))
    .use(errors(table))
    .use(matchRoute(table))
    .use(withRuntime(load))
    .use({
      before: (r) => {
        r.event.authTimes = [performance.now()];
      },
    })
    .use(authenticate(options.operator ?? 'iam'))
    .use({
      before: (r) => {
        r.event.authTimes?.push(performance.now());
      },
    })
    .use(parseBody());
  return (event, context, signal) => chain({ event, signal }, context);
}

export type BufferedHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/** A buffered Lambda handler (api, admin) serving its own routes of the table. */
export function bufferedHandler(
  table: RouteTable<RouteInput>,
  fn: Exclude<LambdaFn, 'chat'>,
  options: ResolverOptions = {},
): BufferedHandler {
  const resolve = createResolver(table.only(fn), options);
  // A buffered invocation has no client connection to watch: API Gateway holds it.
  return async (event, context) => toProxyResult(await resolve(event, context, new AbortController().signal));
}

/** The chat Lambda handler: response streaming, aborting the upstream when the client leaves. */
export function streamingChatHandler(table: RouteTable<RouteInput>, options: ResolverOptions = {}): StreamingHandler {
  const resolve = createResolver(table.only('chat'), options);
  return streamingHandler((event, context, signal) => resolve(event, context, signal));
}
