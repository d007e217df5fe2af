/** The transport-neutral result of an API call; handlers turn it into a Lambda response. */

export interface HttpResult {
  status: number;
  headers: Record<string, string>;
  /** A full body, or a stream of text pieces (SSE). */
  body: string | AsyncIterable<string>;
  /**
   * Work to run after the client has the whole response (metering, settling a reservation).
   * Handlers must always call it, also when the client went away mid-stream.
   */
  afterResponse?: () => Promise<void>;
}

export function jsonResult(status: number, body: unknown, headers: Record<string, string> = {}): HttpResult {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}
