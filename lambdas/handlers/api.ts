/**
 * Lambda entry for the buffered app routes: GET /v1/models (no key needed), and the routes that
 * need a key: POST /v1/embeddings, GET /v1/usage (the caller's own account only) and GET /v1/key (its limits and
 * remaining budget). API Gateway proxies these paths here.
 */
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { ApiError } from '../core/errors';
import { jsonResult, type HttpResult } from '../core/http';
import { listModels } from '../core/models';
import { embeddings } from '../core/embeddings';
import { routingContext } from '../core/chat';
import { header, jsonBody, toProxyResult } from './http';
import { openAIErrors } from './middleware';
import { decodeSegment } from './routes';
import { runtime, type Runtime } from './runtime';

let rt: Runtime | undefined;

async function route(event: APIGatewayProxyEvent): Promise<HttpResult> {
  rt = await runtime();
  const path = event.path.replace(/\/+$/, '');
  // Only models with a usable offer, unless ?all=true (then each unusable offer says why).
  if (event.httpMethod === 'GET' && path === '/v1/models') return jsonResult(200, listModels(rt.catalog, routingContext(rt.chat), { all: event.queryStringParameters?.all === 'true' }));
  if (event.httpMethod === 'GET' && path.startsWith('/v1/models/')) {
    const id = decodeSegment(path.slice('/v1/models/'.length));
    const model = listModels(rt.catalog, routingContext(rt.chat), { all: true }).data.find((m) => m.id === id);
    if (!model) throw ApiError.notFound(`The model \`${id}\` does not exist.`, 'model', 'model_not_found');
    return jsonResult(200, model);
  }
  if (event.httpMethod === 'POST' && path === '/v1/embeddings') {
    const caller = await rt.auth.authenticate(header(event, 'authorization'));
    return embeddings(jsonBody(event), caller, rt.chat, new AbortController().signal, { sourceIp: event.requestContext?.identity?.sourceIp ?? undefined });
  }
  if (event.httpMethod === 'GET' && (path === '/v1/usage' || path === '/v1/key')) {
    const caller = await rt.auth.authenticate(header(event, 'authorization'));
    if (path === '/v1/key') return jsonResult(200, { data: await rt.accounts.keyStatus(caller) });
    const q = event.queryStringParameters ?? {};
    const to = q.to ?? new Date().toISOString().slice(0, 10);
    const by = q.by ?? 'day';
    if (!['day', 'model', 'provider', 'key'].includes(by)) throw ApiError.invalidRequest('by must be one of day, model, provider, key.', 'by');
    // Tenant isolation: the account comes from the key, never from the request.
    const rows = await rt.accounts.usage(caller.accountId, { from: q.from ?? `${to.slice(0, 8)}01`, to, by: by as 'day' });
    return jsonResult(200, { object: 'list', account_id: caller.accountId, data: rows });
  }
  throw ApiError.notFound(`Unknown route ${event.httpMethod} ${path}.`, null, 'unknown_route');
}

const inner = middy<APIGatewayProxyEvent, HttpResult, Error, Context>(route).use(openAIErrors(() => rt?.log));

export const handler = async (event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> =>
  toProxyResult(await inner(event, context));
