/**
 * API-key authentication with a small in-function cache. A revoked key stops working within
 * `KEY_CACHE_TTL_MS` on every warm function (the documented revocation bound).
 */
import type { Caller } from '../domain/caller';
import { RouterError } from '../domain/errors';

export const KEY_CACHE_TTL_MS = 30_000;

/** Resolves a key secret to its caller (undefined for unknown, revoked or expired keys). */
export type CallerResolver = (secret: string) => Promise<Caller | undefined>;

interface CacheEntry {
  caller: Caller | undefined;
  until: number;
}

/** Resolves `Authorization: Bearer <key>` to a caller, or throws a 401. */
export class Authenticator {
  private readonly cache = new Map<string, CacheEntry>();

  constructor(
    private readonly resolve: CallerResolver,
    private readonly ttlMs = KEY_CACHE_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Authenticates a bare key secret. */
  async authenticateKey(secret: string): Promise<Caller> {
    const t = this.now();
    const hit = this.cache.get(secret);
    if (hit && hit.until > t) {
      if (!hit.caller) throw RouterError.unauthorized();
      return hit.caller;
    }
    const caller = await this.resolve(secret);
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(secret, { caller, until: t + this.ttlMs });
    if (!caller) throw RouterError.unauthorized();
    return caller;
  }

  /** Authenticates an `Authorization: Bearer <key>` header value. */
  async authenticate(authorization: string | undefined): Promise<Caller> {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!match)
      throw RouterError.unauthorized('Missing API key. Send "Authorization: Bearer <key>"; create a key with `npx ctr keys create`.');
    return this.authenticateKey(match[1]!);
  }
}
