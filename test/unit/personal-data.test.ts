/** Envelope encryption of personal fields: KMS calls mocked with aws-sdk-client-mock behind the KeyProvider interface. */
import { randomBytes } from 'node:crypto';
import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { KmsKeyProvider, LocalKeyProvider, PersonalDataCipher } from '../../lambdas/core/personal-data';
import type { DataKeyStore } from '../../lambdas/domain/ports';

const KEY_ARN = 'arn:aws:kms:us-east-1:111122223333:key/mrk-1234';

class MemoryKeyStore implements DataKeyStore {
  readonly items = new Map<string, string>();
  async put(accountId: string, wrapped: string) {
    if (this.items.has(accountId)) return false;
    this.items.set(accountId, wrapped);
    return true;
  }
  async get(accountId: string) {
    return this.items.get(accountId);
  }
  async expire() {}
  async delete(accountId: string) {
    this.items.delete(accountId);
  }
}

describe('KMS key provider', () => {
  const kms = mockClient(KMSClient);
  beforeEach(() => kms.reset());

  it('wraps data keys with KMS under the account encryption context', async () => {
    // Prepare
    const plaintext = randomBytes(32);
    kms.on(GenerateDataKeyCommand).resolves({ Plaintext: plaintext, CiphertextBlob: Buffer.from('wrapped-by-kms') });
    kms.on(DecryptCommand).resolves({ Plaintext: plaintext });
    const provider = new KmsKeyProvider(KEY_ARN, new KMSClient({ region: 'us-east-1' }));
    // Act
    const key = await provider.generateDataKey('acct-1');
    const unwrapped = await provider.unwrap('acct-1', key.wrapped);
    // Assess
    expect(kms.commandCalls(GenerateDataKeyCommand)[0]!.args[0].input).toEqual({
      KeyId: KEY_ARN,
      KeySpec: 'AES_256',
      EncryptionContext: { accountId: 'acct-1' },
    });
    const decrypt = kms.commandCalls(DecryptCommand)[0]!.args[0].input;
    expect(decrypt.EncryptionContext).toEqual({ accountId: 'acct-1' });
    expect(decrypt.KeyId).toBe(KEY_ARN);
    expect(Buffer.from(decrypt.CiphertextBlob!).toString()).toBe('wrapped-by-kms');
    expect(unwrapped.equals(plaintext)).toBe(true);
  });

  it('fails plainly when KMS returns no key', async () => {
    kms.on(GenerateDataKeyCommand).resolves({});
    await expect(new KmsKeyProvider(KEY_ARN, new KMSClient({ region: 'us-east-1' })).generateDataKey('a')).rejects.toThrow(/no data key/);
  });

  it('seals with one KMS call per cold key and opens from the in-function cache', async () => {
    const plaintext = randomBytes(32);
    kms.on(GenerateDataKeyCommand).resolves({ Plaintext: plaintext, CiphertextBlob: Buffer.from('w') });
    kms.on(DecryptCommand).resolves({ Plaintext: plaintext });
    const store = new MemoryKeyStore();
    const cipher = new PersonalDataCipher(new KmsKeyProvider(KEY_ARN, new KMSClient({ region: 'us-east-1' })), store);
    await cipher.createKey('acct-2');
    const sealed = await cipher.seal('acct-2', { email: 'a@b.example' });
    expect(sealed).not.toContain('a@b.example');
    expect(await cipher.open('acct-2', sealed)).toEqual({ email: 'a@b.example' });
    expect(kms.commandCalls(DecryptCommand)).toHaveLength(0);
    // A cold function (new cipher) unwraps once through KMS.
    const cold = new PersonalDataCipher(new KmsKeyProvider(KEY_ARN, new KMSClient({ region: 'us-east-1' })), store);
    expect(await cold.open('acct-2', sealed)).toEqual({ email: 'a@b.example' });
    expect(kms.commandCalls(DecryptCommand)).toHaveLength(1);
  });
});

describe('crypto-shredding', () => {
  it('after the data key is destroyed, sealed copies anywhere are unreadable', async () => {
    const store = new MemoryKeyStore();
    const cipher = new PersonalDataCipher(new LocalKeyProvider(randomBytes(32)), store);
    await cipher.createKey('acct-3');
    const sealed = await cipher.seal('acct-3', '203.0.113.7');
    const backupOfItem = sealed; // e.g. a replica or a point-in-time backup of the usage item
    await cipher.shred('acct-3');
    expect(await cipher.hasKey('acct-3')).toBe(false);
    expect(await cipher.open('acct-3', backupOfItem)).toBeUndefined();
    expect(await cipher.seal('acct-3', 'x')).toBeUndefined();
  });

  it('binds ciphertext to its account: another account cannot open it', async () => {
    const local = new LocalKeyProvider(randomBytes(32));
    const key = await local.generateDataKey('acct-a');
    await expect(local.unwrap('acct-b', key.wrapped)).rejects.toThrow();
    const store = new MemoryKeyStore();
    const cipher = new PersonalDataCipher(local, store);
    await cipher.createKey('acct-a');
    await cipher.createKey('acct-b');
    const sealed = await cipher.seal('acct-a', 'secret');
    await expect(cipher.open('acct-b', sealed)).rejects.toThrow();
  });
});
