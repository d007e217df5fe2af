/**
 * The middy middleware every route runs through, in this order (resolve.ts):
 * errors (outermost: any throw becomes the route's error response) → match (404/405/400 from the
 * table) → runtime → authentication → body (JSON, then the route's validation) → route.
 * Each step fills one field of the request, so the route receives checked, typed input.
 */
import type middy from '@middy/core';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { jsonLogger, type Logger } from '../core/log';
import { anthropicKeyMissing } from '../core/messages-inbound/errors';
import type { Caller } from '../domain/caller';
import { RouterError } from '../domain/errors';

/** The router's error code of a thrown error, when it has one. */
const errorCodeOf = (err: unknown): string | null | undefined => (err instanceof RouterError ? err.code : undefined);

import { header, parseJsonBody } from './http';
import { errorResult } from './http-errors';
import type { HttpResult } from './http-result';
import type { Match, RouteTable } from './route-table';
import type { Runtime } from './runtime';

/**
 * How operator (admin) routes are authorized: by API Gateway with IAM before the function runs,
 * loopback-only (local server), or a SigV4 signature checked here against known credentials (the
 * local server standing in for API Gateway's IAM authorization, `operator-sigv4.ts`).
 */
export type OperatorTrust = 'iam' | 'loopback' | OperatorVerifier;

/** Checks an operator request's signature; throws a `RouterError` (403) when it is refused. */
export type OperatorVerifier = (event: APIGatewayProxyEvent) => Promise<void>;

/** The request as it moves through the chain; the Lambda event stays untouched. */
export interface RouteRequest<I = unknown> {
  event: APIGatewayProxyEvent;
  /** Aborts when the client leaves or the invocation nears its deadline (streamed routes). */
  signal: AbortSignal;
  match?: Match<I>;
  rt?: Runtime;
  caller?: Caller;
  /** When authentication started and ended (`performance.now()`), for `Server-Timing`. */
  authTimes?: [number, number?];
  body?: unknown;
}

export type RouteMiddleware<I = unknown> = middy.MiddlewareObj<RouteRequest<I>, HttpResult, Error, Context>;

let fallbackLog: Logger | undefined;
const fallback = (): Logger => {
  fallbackLog ??= jsonLogger();
  return fallbackLog;
};

/** Any error → the response in the route's dialect (httpErrorOf); unexpected errors are logged by name. */
export function errors<I>(table: RouteTable<I>): RouteMiddleware<I> {
  return {
    onError: async (request) => {
      const { event, match, rt } = request.event;
      const dialect = match?.route.dialect ?? table.dialectFor(event.path ?? '/');
      const log = rt?.log ?? fallback();
      request.response = errorResult(request.error, dialect, log, { route: match?.route.path, requestId: event.requestContext?.requestId });
      // Refusals of the inference and usage routes are counted (never the operator's or the privacy routes).
      const auth = match?.route.auth;
      if (rt && (auth === undefined || auth === 'key' || auth === 'anthropic-key'))
        rt.refusals?.note(request.event.caller, request.response.status, errorCodeOf(request.error));
    },
  };
}

/** Finds the route: 404 and 405 come from the table, a malformed path escape is a 400. */
export function matchRoute<I>(table: RouteTable<I>): RouteMiddleware<I> {
  return {
    before: (request) => {
      request.event.match = table.match(request.event.event.httpMethod, request.event.event.path ?? '/');
    },
  };
}

/** Loads the process's runtime (config, stores), built on the first invocation. */
export function withRuntime<I>(load: () => Promise<Runtime>): RouteMiddleware<I> {
  return {
    before: async (request) => {
      request.event.rt = await load();
    },
  };
}

function isLoopback(address: string | undefined): boolean {
  return address === '::1' || address === '::ffff:127.0.0.1' || (address?.startsWith('127.') ?? false);
}

/** Authenticates the caller as the route asks (see `Auth`). */
export function authenticate<I>(operator: OperatorTrust): RouteMiddleware<I> {
  return {
    before: async (request) => {
      const req = request.event;
      const rt = req.rt!;
      const { event } = req;
      switch (req.match!.route.auth) {
        case 'none':
          return;
        case 'operator':
          // In the cloud API Gateway has authorized the SigV4 signature (IAM) before invoking the function.
          if (typeof operator === 'function') return operator(event);
          if (operator === 'loopback' && !isLoopback(event.requestContext?.identity?.sourceIp ?? undefined)) {
            throw RouterError.forbidden('The admin API is reachable from loopback only in local mode.', 'admin_loopback_only');
          }
          return;
        case 'key':
          req.caller = await rt.auth.authenticate(header(event, 'authorization'));
          return;
        case 'key-holder':
          req.caller = await rt.privacyAuth.authenticate(header(event, 'authorization'));
          return;
        case 'anthropic-key': {
          // Anthropic's SDKs send `x-api-key`; `Authorization: Bearer` works too.
          const xApiKey = header(event, 'x-api-key')?.trim();
          const authorization = header(event, 'authorization');
          if (!xApiKey && !authorization) throw anthropicKeyMissing();
          req.caller = xApiKey ? await rt.auth.authenticateKey(xApiKey) : await rt.auth.authenticate(authorization);
          return;
        }
      }
    },
  };
}

/** Parses the JSON body and validates it with the route's parser; malformed input is a 400 that never quotes the body. */
export function parseBody<I>(): RouteMiddleware<I> {
  return {
    before: (request) => {
      const req = request.event;
      const spec = req.match!.route.body;
      if (!spec) return;
      const raw = spec.json === 'optional' && !req.event.body ? {} : parseJsonBody(req.event);
      req.body = spec.parse ? spec.parse(raw) : raw;
    },
  };
}
