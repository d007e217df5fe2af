/**
 * SigV4 operator authorization for the local server: what API Gateway's IAM authorizer does for
 * `/admin/*` in the cloud, against credentials given to the server (test credentials; never the
 * operator's real ones). A refused signature is a 403 that says why in one word, never more.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { type Credentials, verifyRequest } from '../core/sigv4';
import { RouterError } from '../domain/errors';
import type { OperatorVerifier } from './middleware';

/**
 * A verifier accepting requests signed by one of `credentials` for `region` and `execute-api`.
 *
 * @example
 * startLocalServer({ ..., operator: sigv4Operator([{ accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' }], 'us-east-1') });
 */
export function sigv4Operator(credentials: readonly Credentials[], region: string): OperatorVerifier {
  const byId = new Map(credentials.map((c) => [c.accessKeyId, c]));
  return async (event: APIGatewayProxyEvent) => {
    const headers = event.headers ?? {};
    const host = Object.entries(headers).find(([k]) => k.toLowerCase() === 'host')?.[1] ?? '127.0.0.1';
    const url = new URL(`http://${host}`);
    url.pathname = event.path ?? '/';
    for (const [k, v] of Object.entries(event.queryStringParameters ?? {})) if (v !== undefined) url.searchParams.append(k, v);
    const refusal = await verifyRequest(
      { method: event.httpMethod, url, headers: headers as Record<string, string>, body: event.body ?? '' },
      (id) => byId.get(id),
      region,
    );
    if (refusal) throw RouterError.forbidden(`The request signature was refused (${refusal}).`, 'signature_refused');
  };
}
