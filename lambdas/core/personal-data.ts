/**
 * Personal fields (email, company, IP address) are encrypted with a per-account data key
 * (envelope encryption). The data key is generated under the customer-managed KMS key with the
 * account id as encryption context and only its wrapped form is stored with the account.
 * Erasure destroys the wrapped key (crypto-shredding): every copy of the ciphertext — in replica
 * regions and in point-in-time backups — becomes unreadable (policy §6 erasure, §5 encryption).
 *
 * One small interface, `KeyProvider`: AWS KMS in the cloud, a local AES-GCM master key in local mode.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { KMSClient } from '@aws-sdk/client-kms';
import { lazy } from '../domain/lazy';
import type { DataKeyStore } from '../domain/ports';

/** A freshly generated data key: the plaintext (kept in memory only) and its wrapped form (stored). */
export interface DataKey {
  plaintext: Buffer;
  wrapped: string;
}

export interface KeyProvider {
  generateDataKey(accountId: string): Promise<DataKey>;
  unwrap(accountId: string, wrapped: string): Promise<Buffer>;
}

let kmsSdk: Promise<typeof import('./kms-sdk')> | undefined;
/** The KMS SDK, loaded on the first data key a function needs (after that, keys come from the cipher's cache). */
const loadKms = () => {
  kmsSdk ??= import('./kms-sdk');
  return kmsSdk;
};

/** KMS-backed key provider (cloud). The account id is bound as encryption context. */
export class KmsKeyProvider implements KeyProvider {
  private client?: Promise<Pick<KMSClient, 'send'>>;

  /** `kms`: a client to use (tests); by default one is created on the first call. */
  constructor(
    private readonly keyId: string,
    kms?: Pick<KMSClient, 'send'>,
  ) {
    if (kms) this.client = Promise.resolve(kms);
  }

  private kms(): Promise<Pick<KMSClient, 'send'>> {
    this.client ??= loadKms().then(({ KMSClient }) => new KMSClient({}));
    return this.client;
  }

  async generateDataKey(accountId: string): Promise<DataKey> {
    const [{ GenerateDataKeyCommand }, kms] = await Promise.all([loadKms(), this.kms()]);
    const out = await kms.send(new GenerateDataKeyCommand({ KeyId: this.keyId, KeySpec: 'AES_256', EncryptionContext: { accountId } }));
    if (!out.Plaintext || !out.CiphertextBlob) throw new Error('KMS returned no data key');
    return { plaintext: Buffer.from(out.Plaintext), wrapped: Buffer.from(out.CiphertextBlob).toString('base64') };
  }

  async unwrap(accountId: string, wrapped: string): Promise<Buffer> {
    const [{ DecryptCommand }, kms] = await Promise.all([loadKms(), this.kms()]);
    const out = await kms.send(
      new DecryptCommand({ KeyId: this.keyId, CiphertextBlob: Buffer.from(wrapped, 'base64'), EncryptionContext: { accountId } }),
    );
    if (!out.Plaintext) throw new Error('KMS returned no plaintext');
    return Buffer.from(out.Plaintext);
  }
}

/** Random IVs drawn from one buffer of CSPRNG output, refilled when used up (one RNG call per 256 seals, not one each). */
const IV_BYTES = 12;
let ivPool = Buffer.alloc(0);
let ivAt = 0;
function freshIv(): Buffer {
  if (ivAt + IV_BYTES > ivPool.length) {
    ivPool = randomBytes(IV_BYTES * 256);
    ivAt = 0;
  }
  // Each slice is handed out once; a used-up pool is replaced, never rewritten, so earlier slices stay valid.
  const iv = ivPool.subarray(ivAt, ivAt + IV_BYTES);
  ivAt += IV_BYTES;
  return iv;
}

function seal(key: Buffer, plaintext: Buffer, aad: string): string {
  const iv = freshIv();
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
}

function open(key: Buffer, sealed: string, aad: string): Buffer {
  const raw = Buffer.from(sealed, 'base64');
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]);
}

/** Local key provider: data keys wrapped with a 256-bit master key (local mode and tests). */
export class LocalKeyProvider implements KeyProvider {
  constructor(private readonly masterKey: Buffer) {
    if (masterKey.length !== 32) throw new Error('the local master key must be 32 bytes');
  }

  async generateDataKey(accountId: string): Promise<DataKey> {
    const plaintext = randomBytes(32);
    return { plaintext, wrapped: seal(this.masterKey, plaintext, `datakey:${accountId}`) };
  }

  async unwrap(accountId: string, wrapped: string): Promise<Buffer> {
    return open(this.masterKey, wrapped, `datakey:${accountId}`);
  }
}

/** The personal fields of an account. */
export interface PersonalFields {
  email?: string;
  company?: string;
}

/** How long an unwrapped data key stays in a warm function's memory. */
export const DATA_KEY_CACHE_MS = 5 * 60_000;

/**
 * Seals and opens an account's personal data (profile fields, IP addresses) with its data key,
 * and destroys the key on erasure.
 */
export class PersonalDataCipher {
  private readonly cache = new Map<string, { key: Buffer; until: number }>();

  constructor(
    private readonly keys: KeyProvider,
    private readonly store: DataKeyStore,
    private readonly now: () => number = Date.now,
  ) {}

  /** Creates the account's data key (idempotent: an existing key is kept). */
  async createKey(accountId: string): Promise<void> {
    const key = await this.keys.generateDataKey(accountId);
    if (await this.store.put(accountId, key.wrapped))
      this.cache.set(accountId, { key: key.plaintext, until: this.now() + DATA_KEY_CACHE_MS });
    else key.plaintext.fill(0);
  }

  private async key(accountId: string): Promise<Buffer | undefined> {
    const hit = this.cache.get(accountId);
    if (hit && hit.until > this.now()) return hit.key;
    const wrapped = await this.store.get(accountId);
    if (!wrapped) {
      this.cache.delete(accountId);
      return undefined;
    }
    const key = await this.keys.unwrap(accountId, wrapped);
    if (this.cache.size > 1000) this.cache.clear();
    this.cache.set(accountId, { key, until: this.now() + DATA_KEY_CACHE_MS });
    return key;
  }

  /** Whether the account's data key still exists (false after erasure). */
  async hasKey(accountId: string): Promise<boolean> {
    return (await this.store.get(accountId)) !== undefined;
  }

  /** Seals a value for an account; undefined if its key was destroyed. */
  async seal(accountId: string, value: unknown): Promise<string | undefined> {
    const key = await this.key(accountId);
    return key ? seal(key, Buffer.from(JSON.stringify(value), 'utf8'), `account:${accountId}`) : undefined;
  }

  /** Opens a sealed value; undefined when the key was destroyed (erased account). */
  async open<T>(accountId: string, sealed: string | undefined): Promise<T | undefined> {
    if (!sealed) return undefined;
    const key = await this.key(accountId);
    return key ? (JSON.parse(open(key, sealed, `account:${accountId}`).toString('utf8')) as T) : undefined;
  }

  /** Schedules the data key's destruction (closed account: at the end of the grace period). */
  async expireKey(accountId: string, expiresAt: number): Promise<void> {
    await this.store.expire(accountId, expiresAt);
  }

  /** Destroys the account's data key: everything sealed with it becomes unreadable everywhere. */
  async shred(accountId: string): Promise<void> {
    this.cache.get(accountId)?.key.fill(0);
    this.cache.delete(accountId);
    await this.store.delete(accountId);
  }
}

/**
 * The key provider for an environment, chosen on first use (a function that never touches a data
 * key, such as api, is deployed without a key and never asks for one).
 */
export function lazyKeyProvider(env: NodeJS.ProcessEnv = process.env): KeyProvider {
  const get = lazy(() => keyProviderFromEnv(env));
  return {
    generateDataKey: async (accountId) => get().generateDataKey(accountId),
    unwrap: async (accountId, wrapped) => get().unwrap(accountId, wrapped),
  };
}

/** The key provider for an environment: KMS when `CTR_KMS_KEY_ARN` is set, else the local master key. */
export function keyProviderFromEnv(env: NodeJS.ProcessEnv = process.env): KeyProvider {
  if (env.CTR_KMS_KEY_ARN) return new KmsKeyProvider(env.CTR_KMS_KEY_ARN);
  const hex = env.CTR_LOCAL_MASTER_KEY;
  if (!hex || !/^[0-9a-f]{64}$/i.test(hex))
    throw new Error('local mode needs CTR_LOCAL_MASTER_KEY (64 hex digits); npm start creates one in .local/master.key');
  return new LocalKeyProvider(Buffer.from(hex, 'hex'));
}
