/**
 * AWS Signature Version 4 for the admin API (`execute-api`): signing a request with the operator's
 * credentials (the CLI) and verifying one against known credentials (the local server's optional
 * operator auth, which stands in for API Gateway's IAM authorization). Both use the SDK's own
 * signer (@smithy/signature-v4), so the local check is the algorithm the cloud applies.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';

/** SHA-256 (or HMAC-SHA-256 with a secret) in the shape the signer expects. */
class Sha256 {
  private readonly h: ReturnType<typeof createHash> | ReturnType<typeof createHmac>;
  constructor(secret?: string | Uint8Array | ArrayBuffer | ArrayBufferView) {
    this.h = secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(secret));
  }
  update(data: string | Uint8Array | ArrayBuffer | ArrayBufferView): void {
    this.h.update(toBuffer(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.h.digest());
  }
}

function toBuffer(data: string | Uint8Array | ArrayBuffer | ArrayBufferView): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** A request to sign or verify (what the signer reads of an HTTP request). */
export interface SignableRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: string;
}

/** The API Gateway service name in a SigV4 credential scope. */
export const EXECUTE_API = 'execute-api';

function signer(credentials: Credentials, region: string): SignatureV4 {
  return new SignatureV4({ credentials, region, service: EXECUTE_API, sha256: Sha256, uriEscapePath: true, applyChecksum: true });
}

function httpRequest(req: SignableRequest) {
  const query: Record<string, string> = {};
  for (const [k, v] of req.url.searchParams) query[k] = v;
  return {
    method: req.method,
    protocol: req.url.protocol,
    hostname: req.url.hostname,
    port: req.url.port ? Number(req.url.port) : undefined,
    path: req.url.pathname,
    query,
    headers: { ...req.headers, host: req.url.host },
    body: req.body,
  };
}

/**
 * Signs a request; returns the headers to send (authorization, x-amz-date, x-amz-content-sha256, token).
 *
 * @example
 * const headers = await signRequest({ method: 'GET', url: new URL(`${api}/admin/accounts`), headers: {} }, creds, 'us-east-1');
 */
export async function signRequest(
  req: SignableRequest,
  credentials: Credentials,
  region: string,
  signingDate?: Date,
): Promise<Record<string, string>> {
  const signed = await signer(credentials, region).sign(httpRequest(req), { signingDate });
  return signed.headers as Record<string, string>;
}

const AUTH =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/;

/** Why a signature was refused (never echoes the secret or the expected signature). */
export type SigV4Refusal = 'missing' | 'malformed' | 'unknown_key' | 'wrong_scope' | 'expired' | 'bad_signature';

/**
 * Verifies a SigV4-signed request against known credentials: recomputes the signature over the
 * headers the client signed and compares in constant time. Allows five minutes of clock skew, as
 * AWS does.
 *
 * @example
 * const refusal = await verifyRequest(req, (id) => (id === creds.accessKeyId ? creds : undefined), 'us-east-1');
 * if (refusal) throw RouterError.forbidden('bad signature', 'signature_invalid');
 */
export async function verifyRequest(
  req: SignableRequest,
  lookup: (accessKeyId: string) => Credentials | undefined,
  region: string,
  now: Date = new Date(),
): Promise<SigV4Refusal | undefined> {
  const header = (name: string) => Object.entries(req.headers).find(([k]) => k.toLowerCase() === name)?.[1];
  const authorization = header('authorization');
  if (!authorization) return 'missing';
  const m = AUTH.exec(authorization);
  const amzDate = header('x-amz-date');
  if (!m || !amzDate || !/^\d{8}T\d{6}Z$/.test(amzDate)) return 'malformed';
  const [, accessKeyId, day, scopeRegion, service, signedHeaders, signature] = m as unknown as string[];
  const credentials = lookup(accessKeyId!);
  if (!credentials) return 'unknown_key';
  if (scopeRegion !== region || service !== EXECUTE_API || day !== amzDate.slice(0, 8)) return 'wrong_scope';
  const at = new Date(
    `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
  );
  if (Math.abs(now.getTime() - at.getTime()) > 5 * 60_000) return 'expired';
  const names = signedHeaders!.split(';');
  if (!names.includes('host')) return 'malformed';
  const headers: Record<string, string> = {};
  for (const n of names) {
    if (n === 'host' || n === 'x-amz-date') continue;
    const value = header(n);
    if (value === undefined) return 'malformed';
    headers[n] = value;
  }
  // The signer trusts a given payload hash header: check it against the body actually received.
  const payloadHash = headers['x-amz-content-sha256'];
  if (
    payloadHash !== undefined &&
    payloadHash !==
      createHash('sha256')
        .update(req.body ?? '', 'utf8')
        .digest('hex')
  )
    return 'bad_signature';
  const expected = await signRequest({ ...req, headers }, credentials, region, at);
  const got = Buffer.from(signature!, 'utf8');
  const want = Buffer.from(AUTH.exec(expected.authorization ?? '')?.[6] ?? '', 'utf8');
  return got.length === want.length && timingSafeEqual(got, want) ? undefined : 'bad_signature';
}
