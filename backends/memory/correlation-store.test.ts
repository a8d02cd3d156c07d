import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock.js';
import { describeCorrelationStoreContract } from '../../test/contracts/correlation-store.contract.js';
import { MemoryCorrelationStore } from './correlation-store.js';

describeCorrelationStoreContract('memory', async () => {
  const store = await MemoryCorrelationStore.open();
  return { store, peer: async () => store, cleanup: () => store.close() };
});

describe('MemoryCorrelationStore', () => {
  const dirs: string[] = [];
  const tempFile = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'wp-corr-'));
    dirs.push(dir);
    return join(dir, 'state', 'correlation-checkpoint.json');
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('saves its windows and claims on close and restores them on open', async () => {
    const checkpointPath = tempFile();
    const clock = new ManualClock(1_700_000_000_000);
    const first = await MemoryCorrelationStore.open({ checkpointPath, clock });
    const t = clock.now();
    await first.observe('brute-force|10.0.0.1', 'e1', t, 60_000);
    await first.observe('brute-force|10.0.0.1', 'e2', t + 5, 60_000);
    await first.observe('scan|10.0.0.2', 'port-22', t, 60_000);
    expect(await first.claim('fired|brute-force|10.0.0.1', 30_000)).toBe(true);
    await first.close();
    expect(existsSync(checkpointPath)).toBe(true);
    expect(readdirSync(join(checkpointPath, '..')).filter((f) => f.endsWith('.tmp'))).toEqual([]);

    clock.advance(1000);
    const second = await MemoryCorrelationStore.open({ checkpointPath, clock });
    expect(await second.members('brute-force|10.0.0.1', 0)).toEqual([
      { member: 'e1', atMs: t },
      { member: 'e2', atMs: t + 5 },
    ]);
    expect(await second.observe('brute-force|10.0.0.1', 'e3', t + 10, 60_000)).toEqual({ count: 3, oldestMs: t });
    expect(await second.claim('fired|brute-force|10.0.0.1', 30_000)).toBe(false);
    expect(second.size).toBe(2);
    await second.close();
  });

  it('does not restore windows or claims that expired while it was down', async () => {
    const checkpointPath = tempFile();
    const clock = new ManualClock(1_700_000_000_000);
    const first = await MemoryCorrelationStore.open({ checkpointPath, clock });
    await first.observe('short', 'a', clock.now(), 1000);
    await first.observe('long', 'a', clock.now(), 60_000);
    await first.claim('claim-short', 1000);
    await first.checkpoint();
    await first.close();
    clock.advance(5000);
    const second = await MemoryCorrelationStore.open({ checkpointPath, clock });
    expect(second.size).toBe(1);
    expect(await second.members('short', 0)).toEqual([]);
    expect(await second.members('long', 0)).toHaveLength(1);
    expect(await second.claim('claim-short', 1000)).toBe(true);
    await second.close();
  });

  it('starts empty and keeps the file aside when the checkpoint is corrupt', async () => {
    const checkpointPath = tempFile();
    const first = await MemoryCorrelationStore.open({ checkpointPath });
    await first.checkpoint();
    await first.close();
    writeFileSync(checkpointPath, '{"version":1,"windows":[["k",');
    const store = await MemoryCorrelationStore.open({ checkpointPath });
    expect(store.size).toBe(0);
    expect(readdirSync(join(checkpointPath, '..')).some((f) => f.includes('.corrupt-'))).toBe(true);
    await store.close();
  });

  it('holds at most maxKeys keys, forgetting the one whose newest member is oldest', async () => {
    const store = new MemoryCorrelationStore({ maxKeys: 3 });
    const t = Date.now();
    await store.observe('k1', 'a', t + 100, 60_000);
    await store.observe('k2', 'a', t + 300, 60_000);
    await store.observe('k3', 'a', t + 200, 60_000);
    await store.observe('k1', 'b', t + 400, 60_000); // k1's newest is now the latest
    await store.observe('k4', 'a', t + 500, 60_000); // evicts k3 (newest t+200)
    expect(store.size).toBe(3);
    expect(await store.members('k3', 0)).toEqual([]);
    expect(await store.members('k1', 0)).toHaveLength(2);
    await store.observe('k5', 'a', t + 600, 60_000); // evicts k2 (newest t+300)
    expect(await store.members('k2', 0)).toEqual([]);
    expect((await store.members('k1', 0)).length + (await store.members('k4', 0)).length).toBe(3);
    for (let i = 0; i < 1000; i++) await store.observe(`many-${i}`, 'x', t + 1000 + i, 60_000);
    expect(store.size).toBe(3);
    expect((await store.members('many-999', 0)).length).toBe(1);
    await store.close();
  });

  it('expires keys and claims by its clock', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const store = new MemoryCorrelationStore({ clock });
    await store.observe('k', 'a', clock.now(), 1000);
    expect(await store.claim('c', 500)).toBe(true);
    clock.advance(499);
    expect(await store.members('k', 0)).toHaveLength(1);
    expect(await store.claim('c', 500)).toBe(false);
    clock.advance(1);
    expect(await store.claim('c', 500)).toBe(true);
    clock.advance(500);
    expect(await store.members('k', 0)).toEqual([]);
    expect(store.size).toBe(0);
    await store.close();
  });

  it('counts correctly when events arrive out of order', async () => {
    const store = new MemoryCorrelationStore();
    const t = Date.now();
    const times = [50, 10, 40, 20, 30, 70, 60];
    for (const [i, offset] of times.entries()) await store.observe('ooo', `m${i}`, t + offset, 35);
    // The sighting at t+70 forgot members at or before t+35 (10, 20, 30); the late one at t+60 is kept.
    expect((await store.members('ooo', 0)).map((m) => m.atMs - t)).toEqual([40, 50, 60, 70]);
    expect(await store.observe('ooo', 'late', t + 80, 35)).toEqual({ count: 4, oldestMs: t + 50 });
    await store.close();
  });

  it('refuses use after close', async () => {
    const store = new MemoryCorrelationStore();
    await store.close();
    await expect(store.observe('k', 'a', 1, 1000)).rejects.toMatchObject({ code: 'WATCHPOST_ERR_INTERNAL' });
    expect((await store.health()).state).toBe('down');
  });
});
