/** A small method + path-pattern router for the buffered handlers. */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { HttpResult } from './http-result';
import { RouterError } from '../domain/errors';

export type RouteFn = (params: string[], event: APIGatewayProxyEvent) => Promise<HttpResult>;

export interface RouteDef {
  method: string;
  pattern: RegExp;
  fn: RouteFn;
}

/** `:name` segments match one path segment each and are passed to the route function in order. */
export function route(method: string, path: string, fn: RouteFn): RouteDef {
  const pattern = new RegExp(`^${path.replace(/:[a-zA-Z]+/g, '([^/]+)')}/?$`);
  return { method, pattern, fn };
}

/** Decodes a path segment; a malformed %-escape is the client's error (400), not ours. */
export function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw RouterError.invalidRequest('The path has a malformed %-escape.', null, 'invalid_path');
  }
}

export async function dispatch(routes: RouteDef[], event: APIGatewayProxyEvent): Promise<HttpResult> {
  const path = event.path.replace(/\/{2,}/g, '/');
  let pathMatched = false;
  for (const r of routes) {
    const m = r.pattern.exec(path);
    if (!m) continue;
    pathMatched = true;
    if (r.method !== event.httpMethod) continue;
    return r.fn(m.slice(1).map(decodeSegment), event);
  }
  if (pathMatched) throw RouterError.methodNotAllowed(`Method ${event.httpMethod} is not allowed on ${path}.`);
  throw RouterError.notFound(`Unknown route ${event.httpMethod} ${path}.`, null, 'unknown_route');
}

/** The query parameter, if present. */
export function query(event: APIGatewayProxyEvent, name: string): string | undefined {
  return event.queryStringParameters?.[name] ?? undefined;
}
