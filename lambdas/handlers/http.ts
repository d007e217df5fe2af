/**
 * API Gateway (REST, proxy integration) event helpers shared by the handlers: header and query
 * lookup, JSON body parsing (errors are ApiErrors, rendered by http-errors.ts), and HttpResult →
 * proxy result.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { RouterError } from '../domain/errors';
import type { HttpResult } from './http-result';

/** Maximum accepted request body (bytes): API Gateway's own payload limit is 10 MB. */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;

/** A request header, matched case-insensitively. */
export function header(event: Pick<APIGatewayProxyEvent, 'headers'>, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(event.headers ?? {})) if (k.toLowerCase() === lower && v !== undefined) return v;
  return undefined;
}

/** Parses the JSON body; malformed JSON is a 400, never a 500. The error never quotes the body. */
export function parseJsonBody(event: Pick<APIGatewayProxyEvent, 'body' | 'isBase64Encoded'>): unknown {
  if (!event.body) throw RouterError.invalidRequest('Request body is empty; send a JSON object.', null, 'invalid_json');
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (Buffer.byteLength(text) > MAX_BODY_BYTES) throw RouterError.tooLarge();
  try {
    return JSON.parse(text);
  } catch {
    throw RouterError.invalidRequest('Request body is not valid JSON.', null, 'invalid_json');
  }
}

/** The query parameter, if present. */
export function query(event: Pick<APIGatewayProxyEvent, 'queryStringParameters'>, name: string): string | undefined {
  return event.queryStringParameters?.[name] ?? undefined;
}

/** Collects a (possibly streamed) body into a buffered proxy result. */
export async function toProxyResult(result: HttpResult): Promise<APIGatewayProxyResult> {
  let body: string;
  if (typeof result.body === 'string') body = result.body;
  else {
    body = '';
    for await (const piece of result.body) body += piece;
  }
  await result.afterResponse?.();
  return { statusCode: result.status, headers: result.headers, body };
}
