/**
 * The route table: method + path pattern → route, and which deployed function serves it (chat:
 * response streaming; api: buffered; admin: buffered, IAM-authorized in the cloud; privacy: the key
 * holder's own rights, buffered). The Lambda
 * entries resolve against it, each restricted to its own routes, and the local server asks it
 * which entry serves a request, so cloud and local route the same way. 404 and 405 come from here.
 *
 * Why our own table and not Powertools' event-handler `Router` (v2.35, read and measured):
 * - It is modelled on that Router (method + `:param` patterns, one table for buffered and streamed
 *   responses, middleware around the route, 404/405 from the table) in under 200 lines, and keeps
 *   middy as the middleware engine (middleware.ts) instead of a second one.
 * - The Router answers an unknown method on a known path with 404 (405 only for unknown verbs), and a
 *   malformed %-escape in a path parameter throws a URIError (a 500 unless mapped).
 * - It renders through Web `Request`/`Response` and pipes streams with `pipeline`: the chat stream
 *   needs its own glue anyway (abort upstream when the client leaves, a deadline before the Lambda
 *   timeout, metering after the last byte), see streaming.ts.
 * - Cost, measured with the stacks' esbuild settings: the Router adds 25.7 KiB minified to each
 *   bundle (it brings `@aws-lambda-powertools/commons`) and ~6 ms CPU of cold import on its own; this
 *   table and its middleware add 2.4 KiB (chat) and 3.5 KiB (api). It would bring ALB, HTTP API v2,
 *   CORS and compression support that a REST-API-only gateway does not use.
 */

import type { Caller } from '../domain/caller';
import { RouterError } from '../domain/errors';
import type { ErrorDialect } from './http-errors';
import type { HttpResult } from './http-result';

/** The deployed function that serves a route (see lib/: one Lambda function each). */
export type LambdaFn = 'chat' | 'api' | 'admin' | 'privacy';

export type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/**
 * Who may call a route: `none`; `key` (Authorization: Bearer); `anthropic-key` (x-api-key or
 * Bearer); `key-holder` (Bearer, also for a restricted account: its privacy rights); `operator`
 * (IAM in the cloud, loopback only locally).
 */
export type Auth = 'none' | 'key' | 'anthropic-key' | 'key-holder' | 'operator';

/** How the body is read: JSON `required` (empty is a 400) or `optional` (empty is `{}`), then `parse` (validation) if given. */
export interface BodySpec<B> {
  json: 'required' | 'optional';
  parse?: (raw: unknown) => B;
}

type ParamName<S extends string> = S extends `${infer N}+` ? N : S;
/** The path parameters of a pattern: `/a/:id/b/:rest+` → `{ id: string; rest: string }`. */
export type PathParams<P extends string> = P extends `${string}:${infer Rest}`
  ? Rest extends `${infer Seg}/${infer Tail}`
    ? { [K in ParamName<Seg>]: string } & PathParams<`/${Tail}`>
    : { [K in ParamName<Rest>]: string }
  : Record<never, never>;

/** Auth kinds that identify a caller by an API key. */
export type KeyAuth = 'key' | 'anthropic-key' | 'key-holder';

/** What the route receives of its auth and body middleware: the caller when a key authenticated it, the parsed body. */
export type Checked<P extends string, A extends Auth, B> = { params: PathParams<P>; body: B } & (A extends KeyAuth
  ? { caller: Caller }
  : unknown);

/** A route's declaration; `I` is what the middleware chain hands every route (see resolve.ts). */
export interface RouteSpec<P extends string, A extends Auth, B, I> {
  method: Method;
  /** `:name` matches one segment, `:name+` the rest of the path (model ids contain `/`). */
  path: P;
  fn: LambdaFn;
  auth: A;
  /** Error body shape; default `openai`. */
  dialect?: ErrorDialect;
  /** How the body is read and validated; without it the route gets `undefined`. */
  body?: BodySpec<B>;
  handle(input: I & Checked<P, A, B>): Promise<HttpResult> | HttpResult;
}

/** A compiled route. */
export interface Route<I = unknown> {
  readonly method: Method;
  readonly path: string;
  readonly fn: LambdaFn;
  readonly auth: Auth;
  readonly dialect: ErrorDialect;
  readonly body?: BodySpec<unknown>;
  readonly pattern: RegExp;
  readonly names: readonly string[];
  handle(input: I & { params: Record<string, string>; body: unknown; caller?: Caller }): Promise<HttpResult> | HttpResult;
}

/** A route matched to a request, with its decoded path parameters. */
export interface Match<I = unknown> {
  route: Route<I>;
  params: Record<string, string>;
}

/**
 * Compiles a route declaration.
 *
 * @example
 * route({ method: 'GET', path: '/v1/models/:model+', fn: 'api', auth: 'none', handle: ({ params }) => jsonResult(200, { id: params.model }) })
 */
export function route<I, P extends string, A extends Auth, B = undefined>(spec: RouteSpec<P, A, B, I>): Route<I> {
  const names: string[] = [];
  const source = spec.path.replace(/:([a-zA-Z]+)(\+?)/g, (_m, name: string, rest: string) => {
    names.push(name);
    return rest ? '(.+)' : '([^/]+)';
  });
  return {
    method: spec.method,
    path: spec.path,
    fn: spec.fn,
    auth: spec.auth,
    dialect: spec.dialect ?? 'openai',
    body: spec.body as BodySpec<unknown> | undefined,
    pattern: new RegExp(`^${source}$`),
    names,
    handle: spec.handle as unknown as Route<I>['handle'],
  };
}

/** Decodes a path segment; a malformed %-escape is the client's error (400), not ours. */
export function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw RouterError.invalidRequest('The path has a malformed %-escape.', null, 'invalid_path');
  }
}

/** The path as matched: repeated slashes collapsed, trailing slashes dropped. */
export function normalizePath(path: string): string {
  const collapsed = path.replace(/\/{2,}/g, '/');
  return collapsed.length > 1 ? collapsed.replace(/\/+$/, '') : collapsed;
}

/** The table. Immutable; `only(fn)` restricts it to one deployed function's routes. */
export class RouteTable<I = unknown> {
  constructor(readonly routes: readonly Route<I>[]) {}

  /** The routes one deployed function serves. */
  only(fn: LambdaFn): RouteTable<I> {
    return new RouteTable(this.routes.filter((r) => r.fn === fn));
  }

  /** The route for a request. Throws 404 (no route on the path), 405 (not with this method) or 400 (malformed escape). */
  match(method: string, rawPath: string): Match<I> {
    const path = normalizePath(rawPath);
    let pathMatched = false;
    for (const r of this.routes) {
      const m = r.pattern.exec(path);
      if (!m) continue;
      pathMatched = true;
      if (r.method !== method) continue;
      const params: Record<string, string> = {};
      r.names.forEach((name, i) => {
        params[name] = decodeSegment(m[i + 1]!);
      });
      return { route: r, params };
    }
    if (pathMatched) throw RouterError.methodNotAllowed(`Method ${method} is not allowed on ${path}.`);
    throw RouterError.notFound(`Unknown route ${method} ${path}.`, null, 'unknown_route');
  }

  /** The routes on a path, any method. */
  routesOn(rawPath: string): Route<I>[] {
    const path = normalizePath(rawPath);
    return this.routes.filter((r) => r.pattern.test(path));
  }

  /** The error dialect of a path (for errors raised before a route is matched). */
  dialectFor(rawPath: string): ErrorDialect {
    return this.routesOn(rawPath)[0]?.dialect ?? 'openai';
  }

  /**
   * Which deployed function answers a request: the matched route's; else a function with routes on
   * the path (it answers 405); else `api` (it answers 404).
   */
  functionFor(method: string, rawPath: string): LambdaFn {
    const onPath = this.routesOn(rawPath);
    return (onPath.find((r) => r.method === method) ?? onPath[0])?.fn ?? 'api';
  }
}
