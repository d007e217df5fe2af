/**
 * Lambda entry for the admin routes (/admin/*), IAM-authorized in the cloud and reachable from
 * loopback only in local mode.
 */
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { ApiError } from '../core/errors';
import type { HttpResult } from '../core/http';
import { toProxyResult } from './http';
import { openAIErrors } from './middleware';
import { runtime, type Runtime } from './runtime';

let rt: Runtime | undefined;

async function route(event: APIGatewayProxyEvent): Promise<HttpResult> {
  rt = await runtime();
  throw ApiError.notFound(`Unknown admin route ${event.httpMethod} ${event.path}.`, null, 'unknown_route');
}

const inner = middy<APIGatewayProxyEvent, HttpResult, Error, Context>(route).use(openAIErrors(() => rt?.log));

export const handler = async (event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> =>
  toProxyResult(await inner(event, context));
