/**
 * The console's backend over the admin API (/admin/*) instead of in-process: the seam for serving a
 * deployed stack. `send` carries one request to the API and returns its status and body; for a
 * deployed stack it signs with SigV4 (the operator's profile, `execute-api:Invoke` on /admin/*), for
 * the local server a plain loopback request does. Admin API errors come back as the same domain errors,
 * so the console answers them with the same statuses.
 */
import { type ErrorKind, RouterError } from '../domain/errors';
import { HTTP_OF_KIND } from '../handlers/http-errors';
import type { ConsoleBackend } from './backend';

/** Sends one admin API request (path from the API root, e.g. `/admin/accounts`). */
export type AdminSend = (method: 'GET' | 'POST' | 'PATCH', path: string, body?: unknown) => Promise<{ status: number; body: string }>;

type B = ConsoleBackend;
type Result<K extends keyof B> = Awaited<ReturnType<B[K]>>;

function errorOf(status: number, body: { error?: { message?: string; code?: string | null; param?: string | null } }): RouterError {
  const kind = (Object.entries(HTTP_OF_KIND).find(([, [s]]) => s === status)?.[0] ?? 'internal') as ErrorKind;
  return new RouterError(kind, body.error?.message ?? `The admin API answered ${status}.`, {
    code: body.error?.code ?? null,
    param: body.error?.param ?? null,
  });
}

/**
 * A ConsoleBackend whose every call is one admin API route.
 *
 * @example
 * const backend = adminApiBackend(async (method, path, body) => {
 *   const res = await fetch(`http://127.0.0.1:8787${path}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
 *   return { status: res.status, body: await res.text() };
 * });
 */
export function adminApiBackend(send: AdminSend): ConsoleBackend {
  const call = async <T>(method: 'GET' | 'POST' | 'PATCH', path: string, body?: unknown): Promise<T> => {
    const res = await send(method, path, body);
    const parsed = res.body ? JSON.parse(res.body) : {};
    if (res.status >= 400) throw errorOf(res.status, parsed);
    return parsed as T;
  };
  const seg = encodeURIComponent;
  return {
    listAccounts: async () => (await call<{ data: Result<'listAccounts'> }>('GET', '/admin/accounts')).data,
    createAccount: (input) => call('POST', '/admin/accounts', input),
    updateAccount: (id, input) => call('PATCH', `/admin/accounts/${seg(id)}`, input),
    listKeys: async (id) => (await call<{ data: Result<'listKeys'> }>('GET', `/admin/accounts/${seg(id)}/keys`)).data,
    createKey: (id, input) => call('POST', `/admin/accounts/${seg(id)}/keys`, input ?? {}),
    rotateKey: (keyId) => call('POST', `/admin/keys/${seg(keyId)}/rotate`),
    revokeKey: (keyId) => call('POST', `/admin/keys/${seg(keyId)}/revoke`),
    setKeyLimits: (keyId, input) => call('PATCH', `/admin/keys/${seg(keyId)}`, { limits: input }),
    usage: async (id, o) => {
      const q = new URLSearchParams({ by: o.by, from: o.from, to: o.to, ...(o.keyId ? { key: o.keyId } : {}) });
      return (await call<{ data: Result<'usage'> }>('GET', `/admin/accounts/${seg(id)}/usage?${q}`)).data;
    },
  };
}
