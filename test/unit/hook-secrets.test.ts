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
  const state = { idReads: 0, rowReads: 0, fail: false };
  const db: Queryable = {
    query<T extends object>(sql: string, params?: unknown[]) {
      if (state.fail) {
        state.fail = false;
        return Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
      }
      if (sql.startsWith('SELECT hook_id')) {
        state.idReads++;
        return Promise.resolve({ rows: [...rows.keys()].map((hook_id) => ({ hook_id })) as T[] });
      }
      state.rowReads++;
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

const sealed = (...secrets: { secret: string; retiresAt: string | null }[]) => sealSecrets(sealer, secrets);
const live = (secret: string) => ({ secret, retiresAt: null });

describe('managed hook secrets', () => {
  test('a fresh secret is long and random; sealed, it opens to the same list', () => {
    const a = generateSecret();
    assert.ok(a.length >= 43 && a !== generateSecret());
    const s = sealed(live(a));
    assert.equal(s.includes(a), false);
    assert.deepEqual(openSecrets(sealer, s), [live(a)]);
  });

  test('a hook created elsewhere is found at its first delivery; a deleted one is gone within cacheMs', async () => {
    const t = table();
    let now = 1_000_000;
    const hooks = managedHookSecrets(t.db, () => sealer, {
      provider: 'github',
      cacheMs: 5_000,
      refreshMs: 250,
      now: () => now,
    });
    assert.equal(await hooks.secretsFor('7'), undefined);
    t.rows.set('7', sealed(live('s7')));
    now += 250;
    assert.deepEqual(await hooks.secretsFor('7'), {
      secrets: ['s7'],
      place: { scope: 'repository', name: 'octo/api' },
      events: undefined,
    });
    assert.deepEqual((await hooks.secretsFor('7'))?.secrets, ['s7']);
    assert.deepEqual([t.state.idReads, t.state.rowReads], [2, 1]);
    t.rows.delete('7');
    now += 5_000;
    assert.equal(await hooks.secretsFor('7'), undefined);
  });

  test('a flood of made-up hook IDs costs one read of the ID list per refresh period, none per ID', async () => {
    const t = table();
    t.rows.set('1', sealed(live('s1')));
    let now = 0;
    const hooks = managedHookSecrets(t.db, () => sealer, {
      provider: 'github',
      cacheMs: 5_000,
      now: () => now,
    });
    for (let i = 0; i < 1_000; i++) {
      now += 1; // a thousand in one second
      assert.equal(await hooks.secretsFor(String(100_000 + i)), undefined);
    }
    assert.equal(t.state.rowReads, 0);
    assert.ok(t.state.idReads <= 5, `${t.state.idReads} reads of the ID list`);
    assert.deepEqual((await hooks.secretsFor('1'))?.secrets, ['s1']);
  });

  test('a recheck reads again what is older than refreshMs (a rotation elsewhere), at most once per period', async () => {
    const t = table();
    let now = 0;
    t.rows.set('6', sealed(live('before')));
    const hooks = managedHookSecrets(t.db, () => sealer, {
      provider: 'github',
      cacheMs: 60_000,
      refreshMs: 250,
      now: () => now,
    });
    assert.deepEqual((await hooks.secretsFor('6'))?.secrets, ['before']);
    t.rows.set('6', sealed(live('after'), live('before')));
    now += 100;
    assert.deepEqual((await hooks.secretsFor('6', true))?.secrets, ['before'], 'within refreshMs: no read');
    now += 200;
    assert.deepEqual((await hooks.secretsFor('6', true))?.secrets, ['after', 'before']);
    assert.equal(t.state.rowReads, 2);
  });

  test('retired secrets are left out; all retired is no secret at all (the hook fails closed)', async () => {
    const t = table();
    const now = Date.parse('2026-12-02T12:00:00Z');
    t.rows.set(
      '8',
      sealed(
        live('new'),
        { secret: 'old', retiresAt: '2026-12-02T13:00:00Z' },
        { secret: 'older', retiresAt: '2026-12-02T11:00:00Z' },
      ),
    );
    t.rows.set('9', sealed({ secret: 'gone', retiresAt: '2026-12-01T00:00:00Z' }));
    const hooks = managedHookSecrets(t.db, () => sealer, { provider: 'github', cacheMs: 0, now: () => now });
    assert.deepEqual((await hooks.secretsFor('8'))?.secrets, ['new', 'old']);
    assert.deepEqual((await hooks.secretsFor('9'))?.secrets, []);
  });

  test('concurrent deliveries share one read; a failed read is not remembered', async () => {
    const t = table();
    t.rows.set('5', sealed(live('s5')));
    const hooks = managedHookSecrets(t.db, () => sealer, { provider: 'github', cacheMs: 60_000 });
    const both = await Promise.all([hooks.secretsFor('5'), hooks.secretsFor('5')]);
    assert.deepEqual(
      both.map((b) => b?.secrets),
      [['s5'], ['s5']],
    );
    assert.deepEqual([t.state.idReads, t.state.rowReads], [1, 1]);
    const fresh = managedHookSecrets(t.db, () => sealer, { provider: 'github', cacheMs: 60_000 });
    t.state.fail = true;
    await assert.rejects(fresh.secretsFor('5'), /ECONNREFUSED/);
    assert.deepEqual((await fresh.secretsFor('5'))?.secrets, ['s5']);
  });

  test('the key is needed only once a managed hook is read; a wrong one names the setting', async () => {
    const t = table();
    const noKey = () => {
      throw new Error('HOOKFLOW_ENCRYPTION_KEY is not set');
    };
    const hooks = managedHookSecrets(t.db, noKey, { provider: 'github', cacheMs: 0 });
    assert.equal(await hooks.secretsFor('3'), undefined, 'no managed hook: no key asked for');
    t.rows.set('3', sealed(live('s3')));
    await assert.rejects(hooks.secretsFor('3'), /HOOKFLOW_ENCRYPTION_KEY/);
    const other = managedHookSecrets(t.db, () => createSealer([Buffer.alloc(32, 4)]), {
      provider: 'github',
      cacheMs: 0,
    });
    await assert.rejects(other.secretsFor('3'), /HOOKFLOW_ENCRYPTION_KEY that sealed them/);
  });
});
