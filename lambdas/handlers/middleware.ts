/**
 * middy middleware shared by the handlers: any thrown error becomes an OpenAI-format error
 * response (never a stack trace), logged by name and code only.
 */
import type middy from '@middy/core';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import type { HttpResult } from './http-result';
import { jsonLogger, type Logger } from '../core/log';
import { errorResult } from './http';

let fallbackLog: Logger | undefined;

/** Turns errors into OpenAI-format HttpResults. */
export function openAIErrors(log: () => Logger | undefined): middy.MiddlewareObj<APIGatewayProxyEvent, HttpResult, Error, Context> {
  return {
    onError: async (request) => {
      request.response = errorResult(request.error, log() ?? (fallbackLog ??= jsonLogger()));
    },
  };
}
