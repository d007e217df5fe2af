/**
 * The CLI's operations, either in-process (local mode: the runtime's services over DynamoDB) or
 * through a deployed stack's admin API, signed with SigV4 and the operator's own AWS credentials,
 * so an operator needs only `execute-api:Invoke` on `/admin/*` — no table or KMS permissions.
 */
import type { AccountService } from '../core/accounts';
import type { PrivacyService } from '../core/privacy';
import { type Credentials, signRequest } from '../core/sigv4';
import type { SupportService } from '../core/support';
import { type ErrorKind, RouterError } from '../domain/errors';

type Async<F> = F extends (...a: infer A) => Promise<infer R> ? (...a: A) => Promise<Awaited<R>> : never;

/** What the CLI calls: the same methods, whether in-process or through the admin API. */
export interface OperatorOps {
  accounts: {
    [K in
      | 'createAccount'
      | 'listAccounts'
      | 'getAccount'
      | 'updateAccount'
      | 'closeAccount'
      | 'createKey'
      | 'listKeys'
      | 'revokeKey'
      | 'rotateKey'
      | 'setKeyLimits'
      | 'usage'
      | 'statement']: Async<AccountService[K]>;
  };
  privacy: { [K in 'exportAccount' | 'correct' | 'restrict' | 'object' | 'erase' | 'auditTrail']: Async<PrivacyService[K]> };
  support: { [K in 'open' | 'reply' | 'resolve' | 'list']: Async<SupportService[K]> };
}

export interface AdminApiOptions {
  /** The stack's base URL (`EndpointUrl` output without `/v1`, e.g. `https://abc.execute-api.us-east-1.amazonaws.com/prod`). */
  baseUrl: string;
  /** Region of the API (signing scope). */
  region: string;
  /** The operator's credentials (resolved per request, so temporary ones refresh). */
  credentials: () => Promise<Credentials>;
  fetch?: typeof fetch;
  /** Per-request bound. */
  timeoutMs?: number;
}

const KIND_BY_STATUS: Record<number, ErrorKind> = {
  400: 'invalid_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'too_large',
  429: 'rate_limited',
  503: 'unavailable',
};

/**
 * Calls `/admin/*` with SigV4 (`execute-api`); answers as the in-process services do, and API
 * errors come back as `RouterError`s with the API's code.
 *
 * @example
 * const ops = adminApiOps({ baseUrl: 'https://abc.execute-api.us-east-1.amazonaws.com/prod', region: 'us-east-1', credentials: fromNodeProviderChain() });
 * await ops.accounts.listAccounts();
 */
export function adminApiOps(options: AdminApiOptions): OperatorOps {
  const doFetch = options.fetch ?? globalThis.fetch;
  const base = options.baseUrl.replace(/\/+$/, '');
  const call = async <T>(method: string, path: string, body?: unknown, query: Record<string, string | undefined> = {}): Promise<T> => {
    const url = new URL(`${base}${path}`);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, v);
    const text = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...(text !== undefined ? { 'content-type': 'application/json' } : {}),
    };
    const signed = await signRequest({ method, url, headers, body: text ?? '' }, await options.credentials(), options.region);
    const res = await doFetch(url, { method, headers: signed, body: text, signal: AbortSignal.timeout(options.timeoutMs ?? 30_000) });
    const payload = (await res.json().catch(() => undefined)) as
      | { error?: { message?: string; code?: string | null; param?: string | null } }
      | undefined;
    if (!res.ok) {
      const e = payload?.error;
      throw new RouterError(KIND_BY_STATUS[res.status] ?? 'internal', e?.message ?? `admin API answered HTTP ${res.status}`, {
        code: e?.code ?? null,
        param: e?.param ?? null,
      });
    }
    return payload as T;
  };
  const id = encodeURIComponent;
  const data = async <T>(p: Promise<{ data: T }>) => (await p).data;
  return {
    accounts: {
      createAccount: (input) => call('POST', '/admin/accounts', input),
      listAccounts: () => data(call('GET', '/admin/accounts')),
      getAccount: (accountId) => call('GET', `/admin/accounts/${id(accountId)}`),
      updateAccount: (accountId, input) => call('PATCH', `/admin/accounts/${id(accountId)}`, input),
      closeAccount: (accountId) => call('POST', `/admin/accounts/${id(accountId)}/close`),
      createKey: (accountId, input) => call('POST', `/admin/accounts/${id(accountId)}/keys`, input ?? {}),
      listKeys: (accountId) => data(call('GET', `/admin/accounts/${id(accountId)}/keys`)),
      revokeKey: (keyId) => call('POST', `/admin/keys/${id(keyId)}/revoke`),
      rotateKey: (keyId) => call('POST', `/admin/keys/${id(keyId)}/rotate`),
      setKeyLimits: (keyId, limits) => call('PATCH', `/admin/keys/${id(keyId)}`, { limits }),
      usage: (accountId, o) =>
        data(call('GET', `/admin/accounts/${id(accountId)}/usage`, undefined, { from: o.from, to: o.to, by: o.by, key: o.keyId })),
      statement: (accountId, month) => call('GET', `/admin/accounts/${id(accountId)}/statements/${id(month)}`),
    },
    privacy: {
      exportAccount: (accountId) => call('GET', `/admin/accounts/${id(accountId)}/export`),
      correct: (accountId, input) => call('POST', `/admin/accounts/${id(accountId)}/correct`, input),
      restrict: (accountId, on) => call('POST', `/admin/accounts/${id(accountId)}/restrict`, { on }),
      object: (accountId, on) => call('POST', `/admin/accounts/${id(accountId)}/object`, { on }),
      erase: async (accountId) => (await call<{ counts: Record<string, number> }>('POST', `/admin/accounts/${id(accountId)}/erase`)).counts,
      auditTrail: (accountId) => data(call('GET', `/admin/accounts/${id(accountId)}/privacy-requests`)),
    },
    support: {
      open: (accountId, input) => call('POST', `/admin/accounts/${id(accountId)}/support`, input),
      reply: (accountId, ticketId, input) => call('POST', `/admin/accounts/${id(accountId)}/support/${id(ticketId)}`, input),
      resolve: (accountId, ticketId) => call('POST', `/admin/accounts/${id(accountId)}/support/${id(ticketId)}/resolve`),
      list: (accountId) => data(call('GET', `/admin/accounts/${id(accountId)}/support`)),
    },
  };
}

/**
 * The operator's credentials for the admin API: `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY` in
 * `env` when set, else the SDK's default chain with `AWS_PROFILE` (SSO, config files, roles).
 */
export async function operatorCredentials(env: NodeJS.ProcessEnv): Promise<() => Promise<Credentials>> {
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    const c: Credentials = {
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      sessionToken: env.AWS_SESSION_TOKEN,
    };
    return async () => c;
  }
  const { defaultProvider } = await import('@aws-sdk/credential-provider-node');
  const provider = defaultProvider({ profile: env.AWS_PROFILE });
  return async () => provider();
}
