/**
 * An upstream HTTP call as the provider adapters see it: a POST and the parts of its response they
 * read. providers/transport.ts implements it on node:http; a `fetch` Response has the same parts.
 */

/** The request of an upstream call (providers/transport.ts sends it). */
export interface UpstreamRequestInit {
  method: 'POST';
  headers: Record<string, string>;
  body: string;
  signal: AbortSignal;
}

/** What the adapters read of an upstream response (a `fetch` Response has it too). */
export interface UpstreamResponse {
  status: number;
  ok: boolean;
  headers: { get(name: string): string | null };
  /** The body's bytes; ending the iteration early (`return()`) cancels the rest. */
  body: AsyncIterable<Uint8Array> | null;
  /**
   * Stops the body at once, even while a read is waiting (it closes the connection). Without it (a
   * `fetch` Response), ending the iteration cancels the body once a waiting read has settled.
   */
  cancel?(): void;
}

export type UpstreamFetch = (url: string, init: UpstreamRequestInit) => Promise<UpstreamResponse>;
