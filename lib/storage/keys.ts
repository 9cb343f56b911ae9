// What hookflow keeps sealed, by the key that sealed it, and re-sealing it under the newest key
// (`hookflow keys status`, `hookflow keys rotate`): raw delivery bodies (deliveries.body_key_id),
// managed hooks' secrets and installation tokens (sealed values name their key: `v1.<key ID>.…`).
// A rotation pass takes a batch of rows under another key, locked and skipped by any other pass
// running at once, re-seals them and commits: stopped anywhere, the next pass takes what is left.
// Installation tokens are dropped instead (GitHub issues new ones).
import type { BodyKeyring, Sealer } from '../crypto';
import type { Db } from './db';

export interface KeyUsage {
  /** Rows per key ID; `plain` counts bodies kept as sent (before encryption was on). */
  bodies: Record<string, number>;
  hookSecrets: Record<string, number>;
  tokens: Record<string, number>;
  /** Temporal payloads the workers decrypted, per key ID, and when last (ISO time). */
  payloads: Record<string, { decodes: number; lastDecodedAt: string }>;
}

const sealedKeyId = (column: string) => `split_part(${column}, '.', 2)`;

export async function keyUsage(db: Db): Promise<KeyUsage> {
  const count = async (sql: string) => {
    const { rows } = await db.query<{ key_id: string | null; n: string }>(sql);
    return Object.fromEntries(rows.map((r) => [r.key_id ?? 'plain', Number(r.n)]));
  };
  return {
    bodies: await count(
      'SELECT body_key_id AS key_id, count(*) AS n FROM deliveries WHERE raw_body IS NOT NULL GROUP BY 1 ORDER BY 1',
    ),
    hookSecrets: await count(
      `SELECT ${sealedKeyId('secrets')} AS key_id, count(*) AS n FROM managed_hooks GROUP BY 1 ORDER BY 1`,
    ),
    tokens: await count(
      `SELECT ${sealedKeyId('ciphertext')} AS key_id, count(*) AS n FROM api_tokens GROUP BY 1 ORDER BY 1`,
    ),
    payloads: Object.fromEntries(
      (
        await db.query<{ key_id: string; decodes: string; last_decoded_at: Date | string }>(
          'SELECT key_id, decodes, last_decoded_at FROM payload_key_uses ORDER BY key_id',
        )
      ).rows.map((r) => [
        r.key_id,
        { decodes: Number(r.decodes), lastDecodedAt: new Date(r.last_decoded_at).toISOString() },
      ]),
    ),
  };
}

/** Adds decodes per key ID to the tally (one statement; a worker flushes what it counted). */
async function recordPayloadDecodes(db: Db, counts: ReadonlyMap<string, number>): Promise<void> {
  if (counts.size === 0) return;
  await db.query(
    `INSERT INTO payload_key_uses (key_id, decodes, last_decoded_at)
     SELECT k, n, now() FROM unnest($1::text[], $2::bigint[]) AS c(k, n)
     ON CONFLICT (key_id) DO UPDATE
       SET decodes = payload_key_uses.decodes + excluded.decodes, last_decoded_at = now()`,
    [[...counts.keys()], [...counts.values()]],
  );
}

/**
 * Counts decodes in memory and writes them every `flushMs` (and at `stop`): a decode is on the hot
 * path of every workflow activation, a write is not. A failed write keeps the counts for the next.
 */
export function payloadDecodeTally(db: Db, flushMs: number) {
  let counts = new Map<string, number>();
  const flush = async () => {
    if (counts.size === 0) return;
    const taken = counts;
    counts = new Map();
    try {
      await recordPayloadDecodes(db, taken);
    } catch {
      for (const [k, n] of taken) counts.set(k, (counts.get(k) ?? 0) + n);
    }
  };
  const timer = setInterval(() => void flush(), flushMs);
  timer.unref();
  return {
    count: (keyId: string) => counts.set(keyId, (counts.get(keyId) ?? 0) + 1),
    async stop(): Promise<void> {
      clearInterval(timer);
      await flush();
    },
  };
}

export interface ResealOutcome {
  resealed: number;
  /** Installation tokens under an older key: dropped, since GitHub issues new ones on the next call. */
  dropped: number;
  /** Rows that did not open (altered, or malformed): left as they are, and named. */
  unopenable: string[];
}

/**
 * Re-seals up to `limit` raw bodies under the keyring's newest key, in one transaction; `plain`:
 * bodies kept as sent are sealed too (only while encryption at rest is on). Rows under a key not in
 * `known`, and those in `skip` (found unopenable earlier in the run), are left alone. Bodies are
 * read one at a time: a batch of them may be large.
 */
export async function resealBodies(
  db: Db,
  keyring: BodyKeyring,
  o: { known: string[]; plain: boolean; skip: string[]; limit: number },
): Promise<ResealOutcome> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<{ delivery_key: string; body_key_id: string | null }>(
      `SELECT delivery_key, body_key_id FROM deliveries
       WHERE raw_body IS NOT NULL AND body_key_id IS DISTINCT FROM $1
         AND ((body_key_id IS NULL AND $4::boolean) OR body_key_id = ANY($2::text[]))
         AND NOT (delivery_key = ANY($5::text[]))
       ORDER BY delivery_key LIMIT $3 FOR UPDATE SKIP LOCKED`,
      [keyring.keyId, o.known, o.limit, o.plain, o.skip],
    );
    const outcome: ResealOutcome = { resealed: 0, dropped: 0, unopenable: [] };
    for (const r of rows) {
      const { rows: body } = await tx.query<{ raw_body: Uint8Array }>(
        'SELECT raw_body FROM deliveries WHERE delivery_key = $1',
        [r.delivery_key],
      );
      let plain: Buffer;
      try {
        const stored = Buffer.from(body[0].raw_body);
        plain = r.body_key_id === null ? stored : keyring.open(r.delivery_key, stored, r.body_key_id);
      } catch {
        outcome.unopenable.push(r.delivery_key);
        continue;
      }
      await tx.query('UPDATE deliveries SET raw_body = $2, body_key_id = $3 WHERE delivery_key = $1', [
        r.delivery_key,
        keyring.seal(r.delivery_key, plain),
        keyring.keyId,
      ]);
      outcome.resealed++;
    }
    return outcome;
  });
}

/** Re-seals up to `limit` managed hooks' secrets; those under an unknown key, or in `skip`, are left alone. */
export async function resealHookSecrets(
  db: Db,
  sealer: Sealer,
  o: { current: string; known: string[]; skip: string[]; limit: number },
): Promise<ResealOutcome> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<{ provider: string; hook_id: string; secrets: string }>(
      `SELECT provider, hook_id, secrets FROM managed_hooks
       WHERE ${sealedKeyId('secrets')} <> $1 AND ${sealedKeyId('secrets')} = ANY($2::text[])
         AND NOT (hook_id = ANY($4::text[]))
       ORDER BY provider, hook_id LIMIT $3 FOR UPDATE SKIP LOCKED`,
      [o.current, o.known, o.limit, o.skip],
    );
    const outcome: ResealOutcome = { resealed: 0, dropped: 0, unopenable: [] };
    for (const r of rows) {
      let plain: string;
      try {
        plain = sealer.open(r.secrets);
      } catch {
        outcome.unopenable.push(r.hook_id);
        continue;
      }
      await tx.query('UPDATE managed_hooks SET secrets = $3 WHERE provider = $1 AND hook_id = $2', [
        r.provider,
        r.hook_id,
        sealer.seal(plain),
      ]);
      outcome.resealed++;
    }
    return outcome;
  });
}

/**
 * Installation tokens live an hour and GitHub issues new ones on demand: those sealed with any key
 * but the newest are dropped rather than re-sealed (rows a worker holds are left for the next pass).
 */
export async function dropOldTokens(db: Db, current: string, limit: number): Promise<ResealOutcome> {
  const { rows } = await db.query<{ n: string }>(
    `WITH old AS (
       SELECT provider, installation_id FROM api_tokens WHERE ${sealedKeyId('ciphertext')} <> $1
       LIMIT $2 FOR UPDATE SKIP LOCKED),
     gone AS (
       DELETE FROM api_tokens t USING old
       WHERE t.provider = old.provider AND t.installation_id = old.installation_id RETURNING 1)
     SELECT count(*) AS n FROM gone`,
    [current, limit],
  );
  return { resealed: 0, dropped: Number(rows[0].n), unopenable: [] };
}
