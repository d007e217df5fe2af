/**
 * The local master key that wraps per-account data keys in local mode (the cloud uses KMS).
 * Created once in .local/master.key (git-ignored, mode 0600).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

export const LOCAL_MASTER_KEY_PATH = resolve(process.cwd(), '.local/master.key');

/** Reads the local master key (64 hex digits), creating it on first use. */
export function localMasterKey(path = LOCAL_MASTER_KEY_PATH): string {
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, randomBytes(32).toString('hex'), { mode: 0o600 });
  }
  return readFileSync(path, 'utf8').trim();
}
