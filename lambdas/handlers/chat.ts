/**
 * Lambda entry for POST /v1/chat/completions (API Gateway REST with response streaming).
 * Streams SSE as the upstream produces it; meters after the client has the whole response.
 */
import middy from '@middy/core';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { chatCompletion } from '../core/chat';
import { ApiError } from '../core/errors';
import type { HttpResult } from '../core/http';
import { header, jsonBody } from './http';
import { openAIErrors } from './middleware';
import { runtime, type Runtime } from './runtime';
import { streamingHandler } from './streaming';

const clientSignals = new WeakMap<object, AbortSignal>();
let rt: Runtime | undefined;

const produce = middy<APIGatewayProxyEvent, HttpResult, Error, Context>(async (event: APIGatewayProxyEvent) => {
  rt = await runtime();
  const caller = await rt.auth.authenticate(header(event, 'authorization'));
  if (event.httpMethod !== 'POST') throw new ApiError(405, 'Use POST.', 'invalid_request_error', null, 'method_not_allowed');
  const body = jsonBody(event);
  return chatCompletion(body, caller, rt.chat, clientSignals.get(event) ?? new AbortController().signal);
}).use(openAIErrors(() => rt?.log));

export const handler = streamingHandler((event, context, signal) => {
  clientSignals.set(event, signal);
  return produce(event, context);
});
