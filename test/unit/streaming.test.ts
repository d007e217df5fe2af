/**
 * The response-streaming glue over a real socket on 127.0.0.1, client and server in one process
 * (as in the local server and the bench): the work after the response (metering) starts only once
 * the client has read its whole answer, buffered or streamed.
 */
import { createServer, request, type Server, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import type { HttpResult } from '../../lambdas/handlers/http-result';
import { streamingHandler } from '../../lambdas/handlers/streaming';
import { installAwsLambdaEmulation } from '../../lambdas/local/server';
import { apiGatewayEvent } from '../helpers/api-event';

const context = { getRemainingTimeInMillis: () => 60_000, awsRequestId: 'test' } as unknown as Context;

let server: Server | undefined;
afterEach(async () => {
  await new Promise((done) => server?.close(done) ?? done(undefined));
  server = undefined;
});

/** Serves one handler; resolves with the client's body and whether it had it all when `afterResponse` began. */
async function roundTrip(body: HttpResult['body']): Promise<{ received: string; clientHadAnswer: boolean | undefined }> {
  installAwsLambdaEmulation();
  let clientDone = false;
  let clientHadAnswer: boolean | undefined;
  let metered!: () => void;
  const meteringRan = new Promise<void>((r) => {
    metered = r;
  });
  const handler = streamingHandler(async () => ({
    status: 200,
    headers: { 'content-type': 'application/json' },
    body,
    afterResponse: async () => {
      clientHadAnswer = clientDone;
      metered();
    },
  }));
  server = createServer((_req, res: ServerResponse) => {
    void handler(apiGatewayEvent('POST', '/v1/chat/completions') as APIGatewayProxyEvent, res, context).then(() => res.end());
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  const received = await new Promise<string>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/v1/chat/completions' }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (piece: string) => {
        text += piece;
      });
      res.on('end', () => {
        clientDone = true;
        resolve(text);
      });
    });
    req.on('error', reject);
    req.end('{}');
  });
  await meteringRan;
  return { received, clientHadAnswer };
}

describe('streamingHandler', () => {
  it('runs afterResponse only after the client has read a buffered answer', async () => {
    const { received, clientHadAnswer } = await roundTrip('{"ok":true}');
    expect(received).toBe('{"ok":true}');
    expect(clientHadAnswer).toBe(true);
  });

  it('runs afterResponse only after the client has read a streamed answer', async () => {
    async function* events() {
      yield 'data: 1\n\n';
      yield 'data: [DONE]\n\n';
    }
    const { received, clientHadAnswer } = await roundTrip(events());
    expect(received).toBe('data: 1\n\ndata: [DONE]\n\n');
    expect(clientHadAnswer).toBe(true);
  });
});
