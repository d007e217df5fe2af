/**
 * Lambda response streaming glue. API Gateway REST (responseTransferMode STREAM) and the local
 * server both call the wrapped handler with a response stream; it writes the status/headers
 * prelude, then the body as it is produced, and runs `afterResponse` (metering) only when the
 * client has the whole response — or has gone away.
 */
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import type { HttpResult } from './http-result';

/** The subset of the Lambda runtime's global `awslambda` that streaming handlers use. */
export interface AwsLambdaGlobal {
  streamifyResponse<E, C>(fn: (event: E, responseStream: Writable, context: C) => Promise<void>): unknown;
  HttpResponseStream: { from(stream: Writable, prelude: { statusCode: number; headers?: Record<string, string> }): Writable };
}

/** The runtime's `awslambda` global (the local server installs an emulation of it). */
export function awsLambdaGlobal(): AwsLambdaGlobal | undefined {
  return (globalThis as unknown as { awslambda?: AwsLambdaGlobal }).awslambda;
}

/** How long before the Lambda timeout the upstream call is stopped (metering and the closing event need a moment). */
export const DEADLINE_MARGIN_MS = 10_000;

/**
 * Resolves once the event loop has polled for I/O: work after the response (metering) then runs
 * behind whatever is already waiting on a socket — the client reading its answer, other requests.
 * The first immediate runs in this loop turn's check phase, the second after the next poll.
 */
function afterPendingIo(): Promise<void> {
  return new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
}

export type StreamingHandler = (event: APIGatewayProxyEvent, responseStream: Writable, context: Context) => Promise<void>;

/**
 * Wraps a handler that produces an HttpResult (with a streamed or buffered body) as a Lambda
 * response-streaming handler.
 */
export function streamingHandler(
  produce: (event: APIGatewayProxyEvent, context: Context, signal: AbortSignal) => Promise<HttpResult>,
): StreamingHandler {
  const lambda = awsLambdaGlobal();
  if (!lambda) throw new Error('awslambda global missing: not running in Lambda or the local server');
  const fn: StreamingHandler = async (event, responseStream, context) => {
    // Listen before producing: a client that leaves during the time to first token must also stop the
    // upstream call (`upstream`, which the deadline below stops too).
    const clientGone = new AbortController();
    const upstream = new AbortController();
    const onClose = () => {
      clientGone.abort();
      upstream.abort();
    };
    responseStream.once('close', onClose);
    responseStream.once('error', onClose);
    // Stop the upstream a little before Lambda would kill the invocation, so the stream still ends
    // with an error event and the request is still metered.
    const remaining = context.getRemainingTimeInMillis?.();
    const timer =
      remaining === undefined ? undefined : setTimeout(() => upstream.abort(), Math.max(1000, remaining - DEADLINE_MARGIN_MS)).unref();
    // A server that is stopping (the local or container server past its stop window) ends the stream the same way.
    const stop = (context as Context & { stopSignal?: AbortSignal }).stopSignal;
    const onStop = () => upstream.abort();
    if (stop?.aborted) upstream.abort();
    else stop?.addEventListener('abort', onStop, { once: true });
    const result = await produce(event, context, upstream.signal);
    try {
      const out = lambda.HttpResponseStream.from(responseStream, { statusCode: result.status, headers: result.headers });
      // A buffered body goes out in one write with the prelude (the local server then sends a Content-Length).
      if (typeof result.body === 'string') out.end(result.body);
      else {
        // The status and headers reach the client before the first event (Lambda sends its prelude at once; the local server's stream needs telling).
        (out as Writable & { flushHeaders?: () => void }).flushHeaders?.();
        for await (const piece of result.body) {
          if (clientGone.signal.aborted) break;
          if (!out.write(piece)) await once(out, 'drain', { signal: clientGone.signal }).catch(() => undefined);
        }
        out.end();
      }
    } catch {
      // The client went away or the stream broke: the body's own finally records the outcome.
    } finally {
      clearTimeout(timer);
      stop?.removeEventListener('abort', onStop);
      responseStream.off('close', onClose);
      responseStream.off('error', onClose);
      if (result.afterResponse) {
        await afterPendingIo();
        await result.afterResponse();
      }
    }
  };
  return lambda.streamifyResponse(fn) as StreamingHandler;
}
