// The embedded store runs PGlite in a thread of its own: statements, transactions and errors cross
// by messages, and a 25 MiB body (GitHub's largest delivery) is written while the process goes on.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openEmbedded, type Db } from '../../lib/storage/db';

describe('the embedded store in its thread', () => {
  let db: Db;
  before(async () => {
    db = await openEmbedded(undefined);
    await db.query('CREATE TABLE t (id int PRIMARY KEY, body bytea)');
  });
  after(() => db.close());

  test('bytes go in and come back whole, and the process keeps turning while a 25 MiB body is written', async () => {
    const big = Buffer.alloc(25 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4093) big[i] = i % 251;
    let turns = 0;
    let writing = true;
    const count = (): void => {
      turns++;
      if (writing) setImmediate(count);
    };
    setImmediate(count);
    await db.query('INSERT INTO t VALUES (1, $1)', [big]);
    writing = false;
    // PGlite on this thread runs the statement synchronously: a handful of turns at most. In its
    // own thread the event loop turns freely while the statement (seconds) runs.
    assert.ok(turns > 100, `the event loop turned ${turns} times during the write`);
    const { rows } = await db.query<{ body: Uint8Array }>('SELECT body FROM t WHERE id = 1');
    assert.equal(Buffer.compare(Buffer.from(rows[0].body), big), 0);
  });

  test('a transaction commits, or rolls back when its function throws', async () => {
    const n = await db.transaction(async (tx) => {
      await tx.query('INSERT INTO t VALUES (2, NULL)');
      return (await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM t')).rows[0].n;
    });
    assert.equal(n, 2);
    await assert.rejects(
      db.transaction(async (tx) => {
        await tx.query('INSERT INTO t VALUES (3, NULL)');
        throw new Error('changed my mind');
      }),
      /changed my mind/,
    );
    const { rows } = await db.query<{ id: number }>('SELECT id FROM t ORDER BY id');
    assert.deepEqual(
      rows.map((r) => r.id),
      [1, 2],
    );
  });

  test("a failing statement's error keeps PostgreSQL's code, and the store goes on", async () => {
    await assert.rejects(db.query('INSERT INTO t VALUES (1, NULL)'), (err: Error & { code?: string }) => {
      assert.equal(err.code, '23505');
      assert.match(err.message, /duplicate key/);
      return true;
    });
    assert.equal((await db.query<{ one: number }>('SELECT 1 AS one')).rows[0].one, 1);
  });

  test('after close, a statement fails as "PGlite is closed" (which callers read as storage unavailable)', async () => {
    const other = await openEmbedded(undefined);
    await other.close();
    await assert.rejects(other.query('SELECT 1'), /PGlite is closed/);
  });
});
