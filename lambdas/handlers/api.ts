/**
 * Lambda entry for the buffered app routes: GET /v1/models (no key needed), and the routes
 * that need a key. API Gateway proxies these paths here.
 */
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { ApiError } from '../core/errors';
import { jsonResult, type HttpResult } from '../core/http';
import { listModels } from '../core/models';
import { toProxyResult } from './http';
import { openAIErrors } from './middleware';
import { runtime, type Runtime } from './runtime';

let rt: Runtime | undefined;

async function route(event: APIGatewayProxyEvent): Promise<HttpResult> {
  rt = await runtime();
  const path = event.path.replace(/\/+$/, '');
  if (event.httpMethod === 'GET' && path === '/v1/models') return jsonResult(200, listModels(rt.catalog, rt.credentials.usable));
  if (event.httpMethod === 'GET' && path.startsWith('/v1/models/')) {
    const id = decodeURIComponent(path.slice('/v1/models/'.length));
    const model = listModels(rt.catalog, rt.credentials.usable).data.find((m) => m.id === id);
    if (!model) throw ApiError.notFound(`The model \`${id}\` does not exist.`, 'model', 'model_not_found');
    return jsonResult(200, model);
  }
  throw ApiError.notFound(`Unknown route ${event.httpMethod} ${path}.`, null, 'unknown_route');
}

const inner = middy<APIGatewayProxyEvent, HttpResult, Error, Context>(route).use(openAIErrors(() => rt?.log));

export const handler = async (event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> =>
  toProxyResult(await inner(event, context));
