/**
 * The local outbox: an append-only JSON-lines spool file (under .local/), replayed on start and
 * periodically by the local server. Lines hold counts and ids only, never content.
 *
 * Draining renames the spool aside first (atomic), so lines appended meanwhile go to a fresh
 * spool; entries that still fail are appended back. A drain left half-done by a crash is picked up
 * by the next one: replay is idempotent.
 */
import { appendFile, mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { OutboxEntry, OutboxPort } from '../domain/ports';

/** Most entries one drain replays; the rest wait for the next drain. */
export const SPOOL_DRAIN_MAX = 1_000;

export interface DrainResult {
  replayed: number;
  failed: number;
}

export class SpoolOutbox implements OutboxPort {
  private draining: Promise<DrainResult> | undefined;

  constructor(readonly path: string) {}

  async put(entry: OutboxEntry): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    await appendFile(this.path, `${JSON.stringify(entry)}\n`, { mode: 0o600 });
  }

  /** Replays up to `SPOOL_DRAIN_MAX` entries; one drain at a time. */
  drain(replay: (entry: OutboxEntry) => Promise<void>): Promise<DrainResult> {
    this.draining ??= this.drainOnce(replay).finally(() => {
      this.draining = undefined;
    });
    return this.draining;
  }

  private async drainOnce(replay: (entry: OutboxEntry) => Promise<void>): Promise<DrainResult> {
    const aside = `${this.path}.draining`;
    const exists = async (p: string) =>
      stat(p).then(
        () => true,
        () => false,
      );
    if (!(await exists(aside))) {
      if (!(await exists(this.path))) return { replayed: 0, failed: 0 };
      await rename(this.path, aside);
    }
    const lines = (await readFile(aside, 'utf8')).split('\n').filter((l) => l.trim());
    let replayed = 0;
    let failed = 0;
    for (const [i, line] of lines.entries()) {
      let entry: OutboxEntry;
      try {
        entry = JSON.parse(line) as OutboxEntry;
      } catch {
        failed++; // A torn last line (crash mid-append) has nothing to replay.
        continue;
      }
      if (i >= SPOOL_DRAIN_MAX) {
        await this.put(entry);
        continue;
      }
      try {
        await replay(entry);
        replayed++;
      } catch {
        failed++;
        await this.put(entry);
      }
    }
    await rm(aside, { force: true });
    return { replayed, failed };
  }
}
