/**
 * GroupCommit (store/usage-batch.ts) on its own, with an in-memory "write": work handed in while a
 * write is in flight shares the next one, and `idle()` waits for the work handed in before it was
 * called, not for a stream of work that keeps arriving (a long-running server under steady load).
 */
import { describe, expect, it } from 'vitest';
import { GroupCommit } from '../../lambdas/store/usage-batch';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A commit whose writes take `writeMs` and mark everything pending at their start as written. */
function harness(lingerMs: number, writeMs: number) {
  const commit = new GroupCommit(lingerMs);
  let pending: Array<{ written: boolean }> = [];
  const batches: number[] = [];
  const hand = () => {
    const item = { written: false };
    pending.push(item);
    return commit.until(
      () => item.written,
      async () => {
        const batch = pending;
        pending = [];
        batches.push(batch.length);
        await sleep(writeMs);
        for (const i of batch) i.written = true;
      },
    );
  };
  return { commit, batches, hand };
}

describe('GroupCommit', () => {
  it('writes work handed in during a write together, in the next write', async () => {
    const { batches, hand } = harness(0, 10);
    await Promise.all([hand(), sleep(1).then(() => Promise.all([hand(), hand(), hand()]))]);
    expect(batches).toEqual([1, 3]);
  });

  it('idle() ends after the work handed in before it, while more keeps arriving', async () => {
    const { commit, batches, hand } = harness(5, 5);
    let feeding = true;
    const feeder = (async () => {
      const handed: Promise<void>[] = [];
      while (feeding) {
        handed.push(hand());
        await sleep(1);
      }
      await Promise.all(handed);
    })();
    await sleep(30); // a steady stream: a write always gathering or in flight
    const mine = hand();
    const before = batches.length;
    // Were it to wait until no write follows another, it would wait for as long as the stream runs.
    const idled = await Promise.race([commit.idle().then(() => true), sleep(1000).then(() => false)]);
    const writesWaited = batches.length - before;
    const mineDone = await Promise.race([mine.then(() => true), sleep(0).then(() => false)]);
    feeding = false;
    await feeder;
    expect(idled).toBe(true);
    // The flight in progress, and the next one if the first had already taken its batch; never the stream.
    expect(writesWaited).toBeLessThanOrEqual(2);
    expect(mineDone).toBe(true);
  });

  it('idle() resolves at once when nothing is gathering or being written', async () => {
    const { commit, hand } = harness(5, 5);
    await hand();
    let resolved = false;
    void commit.idle().then(() => {
      resolved = true;
    });
    await Promise.resolve();
    await Promise.resolve();
    expect(resolved).toBe(true);
  });
});
