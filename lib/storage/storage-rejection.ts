// Which storage errors are a verdict on the statement and its data rather than on the moment: a retry
// sends the same statement with the same data and meets the same refusal. PostgreSQL (and PGlite,
// which is PostgreSQL) names each error with a SQLSTATE whose first two characters are its class.
// https://www.postgresql.org/docs/current/errcodes-appendix.html

/**
 * Class 22 (data exception: a value the column cannot hold, such as U+0000 in text) and class 23
 * (integrity constraint violation). Not class 08 (connection), 40 (serialization failure 40001,
 * deadlock 40P01), 53 (insufficient resources) or 57 (operator intervention): those pass.
 */
const REJECTING_CLASSES = new Set(['22', '23']);
const SQLSTATE = /^[0-9A-Z]{5}$/;

export interface StorageRejection {
  sqlState: string;
  message: string;
}

/**
 * The rejection `err` carries (itself, or an error in its `cause` chain, where a caller wrapped it),
 * or undefined when it is anything else: worth retrying, or not a storage error at all.
 */
export function storageRejection(err: unknown): StorageRejection | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 5 && typeof e === 'object' && e !== null; depth++) {
    const { code, message, cause } = e as { code?: unknown; message?: unknown; cause?: unknown };
    if (typeof code === 'string' && SQLSTATE.test(code) && REJECTING_CLASSES.has(code.slice(0, 2))) {
      return { sqlState: code, message: typeof message === 'string' ? message : code };
    }
    e = cause;
  }
  return undefined;
}
