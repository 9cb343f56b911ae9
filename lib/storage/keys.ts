// What hookflow keeps sealed, by the key that sealed it, and re-sealing it under the newest key
// (`hookflow keys status`, `hookflow keys rotate`): raw delivery bodies (deliveries.body_key_id),
// managed hooks' secrets and installation tokens (sealed values name their key: `v1.<key ID>.…`).
// A rotation pass takes a batch of rows under another key, locked and skipped by any other pass
// running at once, re-seals them and commits: stopped anywhere, the next pass takes what is left.
import type { BodyKeyring, Sealer } from '../crypto';
import type { Db } from './db';

export interface KeyUsage {
  /** Rows per key ID; `plain` counts bodies kept as sent (before encryption was on). */
  bodies: Record<string, number>;
  hookSecrets: Record<string, number>;
  tokens: Record<string, number>;
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
  };
}

export interface ResealOutcome {
  resealed: number;
  /** Installation tokens under a key no longer held: dropped, since GitHub issues new ones. */
  dropped: number;
}

/**
 * Re-seals up to `limit` raw bodies under the keyring's newest key (bodies kept as sent included),
 * in one transaction. Rows under a key not in `known` are left alone: they cannot be opened.
 */
export async function resealBodies(
  db: Db,
  keyring: BodyKeyring,
  known: string[],
  limit: number,
): Promise<ResealOutcome> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<{
      delivery_key: string;
      raw_body: Uint8Array;
      body_key_id: string | null;
    }>(
      `SELECT delivery_key, raw_body, body_key_id FROM deliveries
       WHERE raw_body IS NOT NULL AND body_key_id IS DISTINCT FROM $1
         AND (body_key_id IS NULL OR body_key_id = ANY($2::text[]))
       ORDER BY delivery_key LIMIT $3 FOR UPDATE SKIP LOCKED`,
      [keyring.keyId, known, limit],
    );
    for (const r of rows) {
      const body = Buffer.from(r.raw_body);
      const plain = r.body_key_id === null ? body : keyring.open(r.delivery_key, body, r.body_key_id);
      await tx.query('UPDATE deliveries SET raw_body = $2, body_key_id = $3 WHERE delivery_key = $1', [
        r.delivery_key,
        keyring.seal(r.delivery_key, plain),
        keyring.keyId,
      ]);
    }
    return { resealed: rows.length, dropped: 0 };
  });
}

/** Re-seals up to `limit` managed hooks' secrets; those under an unknown key are left alone. */
export async function resealHookSecrets(
  db: Db,
  sealer: Sealer,
  current: string,
  known: string[],
  limit: number,
): Promise<ResealOutcome> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<{ provider: string; hook_id: string; secrets: string }>(
      `SELECT provider, hook_id, secrets FROM managed_hooks
       WHERE ${sealedKeyId('secrets')} <> $1 AND ${sealedKeyId('secrets')} = ANY($2::text[])
       ORDER BY provider, hook_id LIMIT $3 FOR UPDATE SKIP LOCKED`,
      [current, known, limit],
    );
    for (const r of rows)
      await tx.query('UPDATE managed_hooks SET secrets = $3 WHERE provider = $1 AND hook_id = $2', [
        r.provider,
        r.hook_id,
        sealer.seal(sealer.open(r.secrets)),
      ]);
    return { resealed: rows.length, dropped: 0 };
  });
}

/**
 * Re-seals up to `limit` installation tokens; one under a key no longer held is dropped (the next
 * call for that installation gets a new token from GitHub).
 */
export async function resealTokens(
  db: Db,
  sealer: Sealer,
  current: string,
  known: string[],
  limit: number,
): Promise<ResealOutcome> {
  return db.transaction(async (tx) => {
    const gone = await tx.query<{ n: string }>(
      `WITH gone AS (DELETE FROM api_tokens WHERE NOT (${sealedKeyId('ciphertext')} = ANY($1::text[])) RETURNING 1)
       SELECT count(*) AS n FROM gone`,
      [known],
    );
    const { rows } = await tx.query<{ provider: string; installation_id: string; ciphertext: string }>(
      `SELECT provider, installation_id, ciphertext FROM api_tokens WHERE ${sealedKeyId('ciphertext')} <> $1
       ORDER BY provider, installation_id LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [current, limit],
    );
    for (const r of rows)
      await tx.query('UPDATE api_tokens SET ciphertext = $3 WHERE provider = $1 AND installation_id = $2', [
        r.provider,
        r.installation_id,
        sealer.seal(sealer.open(r.ciphertext)),
      ]);
    return { resealed: rows.length, dropped: Number(gone.rows[0].n) };
  });
}
