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
import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';

/** A freshly generated data key: the plaintext (kept in memory only) and its wrapped form (stored). */
export interface DataKey {
  plaintext: Buffer;
  wrapped: string;
}

export interface KeyProvider {
  generateDataKey(accountId: string): Promise<DataKey>;
  unwrap(accountId: string, wrapped: string): Promise<Buffer>;
}

/** KMS-backed key provider (cloud). The account id is bound as encryption context. */
export class KmsKeyProvider implements KeyProvider {
  constructor(
    private readonly keyId: string,
    private readonly kms: KMSClient = new KMSClient({}),
  ) {}

  async generateDataKey(accountId: string): Promise<DataKey> {
    const out = await this.kms.send(new GenerateDataKeyCommand({ KeyId: this.keyId, KeySpec: 'AES_256', EncryptionContext: { accountId } }));
    if (!out.Plaintext || !out.CiphertextBlob) throw new Error('KMS returned no data key');
    return { plaintext: Buffer.from(out.Plaintext), wrapped: Buffer.from(out.CiphertextBlob).toString('base64') };
  }

  async unwrap(accountId: string, wrapped: string): Promise<Buffer> {
    const out = await this.kms.send(new DecryptCommand({ KeyId: this.keyId, CiphertextBlob: Buffer.from(wrapped, 'base64'), EncryptionContext: { accountId } }));
    if (!out.Plaintext) throw new Error('KMS returned no plaintext');
    return Buffer.from(out.Plaintext);
  }
}

function seal(key: Buffer, plaintext: Buffer, aad: string): string {
  const iv = randomBytes(12);
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
  /** Last IP address the account's keys were used from. */
  ipAddress?: string;
}

/** Encrypts and decrypts an account's personal fields with its data key. */
export class PersonalDataCipher {
  constructor(private readonly keys: KeyProvider) {}

  /** A new data key for a new account. */
  newKey(accountId: string): Promise<DataKey> {
    return this.keys.generateDataKey(accountId);
  }

  async encrypt(accountId: string, wrappedKey: string, fields: PersonalFields): Promise<string> {
    const key = await this.keys.unwrap(accountId, wrappedKey);
    return seal(key, Buffer.from(JSON.stringify(fields), 'utf8'), `account:${accountId}`);
  }

  async encryptWith(accountId: string, key: Buffer, fields: PersonalFields): Promise<string> {
    return seal(key, Buffer.from(JSON.stringify(fields), 'utf8'), `account:${accountId}`);
  }

  /** Decrypts; returns undefined when the data key is gone (erased account). */
  async decrypt(accountId: string, wrappedKey: string | undefined, sealed: string | undefined): Promise<PersonalFields | undefined> {
    if (!wrappedKey || !sealed) return undefined;
    const key = await this.keys.unwrap(accountId, wrappedKey);
    return JSON.parse(open(key, sealed, `account:${accountId}`).toString('utf8')) as PersonalFields;
  }
}

/** The key provider for an environment: KMS when `CTR_KMS_KEY_ARN` is set, else the local master key. */
export function keyProviderFromEnv(env: NodeJS.ProcessEnv = process.env): KeyProvider {
  if (env.CTR_KMS_KEY_ARN) return new KmsKeyProvider(env.CTR_KMS_KEY_ARN);
  const hex = env.CTR_LOCAL_MASTER_KEY;
  if (!hex || !/^[0-9a-f]{64}$/i.test(hex)) throw new Error('local mode needs CTR_LOCAL_MASTER_KEY (64 hex digits); npm start creates one in .local/master.key');
  return new LocalKeyProvider(Buffer.from(hex, 'hex'));
}
