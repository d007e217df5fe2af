/**
 * Lambda entry for POST /v1/chat/completions and POST /v1/messages (API Gateway REST with
 * response streaming). Streams SSE as the upstream produces it; meters after the client has the
 * whole response. /v1/messages answers in Anthropic's shapes, errors included.
 */
import middy from '@middy/core';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { chatCompletion } from '../core/chat';
import type { HttpResult } from './http-result';
import { anthropicMessages } from '../core/messages-inbound';
import { anthropicKeyMissing } from '../core/messages-inbound/errors';
import { anthropicErrorResult, renderAnthropic } from './render-anthropic';
import { renderChat } from './render-openai';
import { header, jsonBody } from './http';
import { openAIErrors } from './middleware';
import { runtime, type Runtime } from './runtime';
import { streamingHandler } from './streaming';
import type { RequestMeta } from '../domain/caller';
import { RouterError } from '../domain/errors';

const clientSignals = new WeakMap<object, AbortSignal>();
let rt: Runtime | undefined;

/** What metering records of the transport: the client IP (sealed with the account's data key). */
const metaOf = (event: APIGatewayProxyEvent): RequestMeta => ({ sourceIp: event.requestContext?.identity?.sourceIp ?? undefined });

const requirePost = (event: APIGatewayProxyEvent) => {
  if (event.httpMethod !== 'POST') throw RouterError.methodNotAllowed('Use POST.');
};

/** POST /v1/messages: every error, authentication included, in Anthropic's error shape. */
async function messages(event: APIGatewayProxyEvent, r: Runtime, signal: AbortSignal): Promise<HttpResult> {
  try {
    // Anthropic's SDKs send `x-api-key`; `Authorization: Bearer` works too.
    const xApiKey = header(event, 'x-api-key')?.trim();
    const authorization = header(event, 'authorization');
    if (!xApiKey && !authorization) throw anthropicKeyMissing();
    const caller = xApiKey ? await r.auth.authenticateKey(xApiKey) : await r.auth.authenticate(authorization);
    requirePost(event);
    return await renderAnthropic(await anthropicMessages(jsonBody(event), caller, r.chat, signal, metaOf(event)));
  } catch (err) {
    if (!(err instanceof RouterError)) r.log.log('error', 'unhandled error', { route: '/v1/messages', errorName: (err as Error)?.name ?? typeof err });
    return anthropicErrorResult(err);
  }
}

const produce = middy<APIGatewayProxyEvent, HttpResult, Error, Context>(async (event: APIGatewayProxyEvent) => {
  rt = await runtime();
  const signal = clientSignals.get(event) ?? new AbortController().signal;
  if (event.path.replace(/\/+$/, '').endsWith('/v1/messages')) return messages(event, rt, signal);
  const caller = await rt.auth.authenticate(header(event, 'authorization'));
  requirePost(event);
  return renderChat(await chatCompletion(jsonBody(event), caller, rt.chat, signal, metaOf(event)));
}).use(openAIErrors(() => rt?.log));

export const handler = streamingHandler((event, context, signal) => {
  clientSignals.set(event, signal);
  return produce(event, context);
});
