// The front door's view of managed hooks' secrets: sealed at rest, retired secrets left out, read
// through a short cache (a hook created elsewhere is read at its first delivery; an unknown ID
// costs one read per period; a failed read is not remembered).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createSealer } from '../../lib/crypto';
import { generateSecret, managedHookSecrets, openSecrets, sealSecrets } from '../../lib/hook-secrets';
import type { Queryable } from '../../lib/storage/db';

const sealer = createSealer([Buffer.alloc(32, 3)]);

/** A managed_hooks table of one provider in memory, counting reads; `fail` makes the next read throw. */
function table() {
  const rows = new Map<string, string>();
  const state = { reads: 0, fail: false };
  const db: Queryable = {
    query<T extends object>(_sql: string, params?: unknown[]) {
      state.reads++;
      if (state.fail) {
        state.fail = false;
        return Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
      }
      const id = String(params?.[1]);
      const sealed = rows.get(id);
      const row = sealed && {
        provider: 'github',
        hook_id: id,
        scope: 'repository',
        target: 'octo/api',
        events: ['issues'],
        url: 'https://x.example/',
        secrets: sealed,
        created_at: new Date(0),
        updated_at: new Date(0),
      };
      return Promise.resolve({ rows: (row ? [row] : []) as T[] });
    },
  };
  return { rows, state, db };
}

describe('managed hook secrets', () => {
  test('a fresh secret is long and random; sealed, it opens to the same list', () => {
    const a = generateSecret();
    assert.ok(a.length >= 43 && a !== generateSecret());
    const sealed = sealSecrets(sealer, [{ secret: a, retiresAt: null }]);
    assert.equal(sealed.includes(a), false);
    assert.deepEqual(openSecrets(sealer, sealed), [{ secret: a, retiresAt: null }]);
  });

  test('read through a cache: a new hook at its first delivery, a deletion within the period', async () => {
    const t = table();
    let now = 1_000_000;
    const secrets = managedHookSecrets(t.db, sealer, { provider: 'github', cacheMs: 5_000, now: () => now });
    assert.equal(await secrets.secretsFor('7'), undefined);
    // Created elsewhere just now: the miss is remembered for the period, then read again.
    t.rows.set('7', sealSecrets(sealer, [{ secret: 's7', retiresAt: null }]));
    assert.equal(await secrets.secretsFor('7'), undefined);
    assert.equal(t.state.reads, 1);
    now += 5_000;
    assert.deepEqual(await secrets.secretsFor('7'), ['s7']);
    assert.deepEqual(await secrets.secretsFor('7'), ['s7']);
    assert.equal(t.state.reads, 2);
    t.rows.delete('7');
    now += 5_000;
    assert.equal(await secrets.secretsFor('7'), undefined);
  });

  test('retired secrets are left out; all retired is no secret at all (the hook fails closed)', async () => {
    const t = table();
    const now = Date.parse('2026-12-02T12:00:00Z');
    t.rows.set(
      '8',
      sealSecrets(sealer, [
        { secret: 'new', retiresAt: null },
        { secret: 'old', retiresAt: '2026-12-02T13:00:00Z' },
        { secret: 'older', retiresAt: '2026-12-02T11:00:00Z' },
      ]),
    );
    t.rows.set('9', sealSecrets(sealer, [{ secret: 'gone', retiresAt: '2026-12-01T00:00:00Z' }]));
    const secrets = managedHookSecrets(t.db, sealer, { provider: 'github', cacheMs: 0, now: () => now });
    assert.deepEqual(await secrets.secretsFor('8'), ['new', 'old']);
    assert.deepEqual(await secrets.secretsFor('9'), []);
  });

  test('a failed read is not remembered; a secret sealed with another key names the setting', async () => {
    const t = table();
    t.rows.set('5', sealSecrets(sealer, [{ secret: 's5', retiresAt: null }]));
    const secrets = managedHookSecrets(t.db, sealer, { provider: 'github', cacheMs: 60_000 });
    t.state.fail = true;
    await assert.rejects(secrets.secretsFor('5'), /ECONNREFUSED/);
    assert.deepEqual(await secrets.secretsFor('5'), ['s5']);
    const other = managedHookSecrets(t.db, createSealer([Buffer.alloc(32, 4)]), {
      provider: 'github',
      cacheMs: 0,
    });
    await assert.rejects(other.secretsFor('5'), /HOOKFLOW_ENCRYPTION_KEY/);
  });

  test('the cache holds at most maxEntries hooks', async () => {
    const t = table();
    const secrets = managedHookSecrets(t.db, sealer, { provider: 'github', cacheMs: 60_000, maxEntries: 3 });
    for (const id of ['1', '2', '3', '4']) await secrets.secretsFor(id);
    assert.equal(t.state.reads, 4);
    await secrets.secretsFor('4');
    await secrets.secretsFor('1'); // the oldest was dropped for 4: read again
    assert.equal(t.state.reads, 5);
  });
});
