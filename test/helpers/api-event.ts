/** An API Gateway REST proxy event, as the Lambda entries receive it (tests and the bench). */
import type { APIGatewayProxyEvent } from 'aws-lambda';

export function apiGatewayEvent(
  method: string,
  path: string,
  options: { body?: string | null; headers?: Record<string, string>; sourceIp?: string; requestId?: string } = {},
): APIGatewayProxyEvent {
  return {
    httpMethod: method,
    path,
    resource: path,
    headers: options.headers ?? {},
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: options.body ?? null,
    isBase64Encoded: false,
    requestContext: {
      requestId: options.requestId ?? 'r-1',
      identity: { sourceIp: options.sourceIp ?? '198.51.100.7' },
    } as APIGatewayProxyEvent['requestContext'],
  };
}
