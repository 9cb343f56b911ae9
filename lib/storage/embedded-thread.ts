// The embedded store's own thread. PGlite is PostgreSQL compiled to WebAssembly: every statement
// runs synchronously wherever PGlite lives, and a large one (a 25 MiB delivery body, GitHub's
// maximum, takes seconds) would freeze the whole process — health checks, other requests, Temporal
// calls. So PGlite runs here, in a worker thread, and the process talks to it by messages
// (`openEmbedded` in db.ts is the other end). Bodies cross as bytes; statements run in arrival order.
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite, type Transaction } from '@electric-sql/pglite';

/**
 * Bytes as PostgreSQL's hex text, converted natively: PGlite's own bytea conversion goes byte by
 * byte through JavaScript arrays (~15 s each way for 25 MiB), Buffer's takes milliseconds.
 */
const BYTEA = 17;
const pgliteOptions = {
  serializers: {
    [BYTEA]: (b: unknown) =>
      b instanceof Uint8Array
        ? `\\x${Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')}`
        : String(b),
  },
  parsers: { [BYTEA]: (text: string) => Buffer.from(text.slice(2), 'hex') },
};

export type Request =
  | { id: number; op: 'query'; sql: string; params?: unknown[] | undefined; tx?: number }
  | { id: number; op: 'begin' }
  | { id: number; op: 'end'; tx: number; commit: boolean }
  | { id: number; op: 'close' };

export type Reply = { id: number; rows?: unknown[]; error?: Record<string, unknown> };

/** Everything an error says, as plain data: its message, and the fields callers look at (`code`…). */
function errorData(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { message: String(err) };
  const data: Record<string, unknown> = { name: err.name, message: err.message, stack: err.stack };
  for (const [k, v] of Object.entries(err)) if (typeof v !== 'object' && typeof v !== 'function') data[k] = v;
  return data;
}

/** Thrown inside PGlite's transaction callback to roll it back (its own way of rolling back). */
class Rollback extends Error {}

interface TransactionState {
  queue: Request[];
  wake?: () => void;
  began: boolean;
  /** The message that ended it: answered once PGlite has committed or rolled back. */
  endId?: number;
}

async function main(): Promise<void> {
  const port = parentPort!;
  const { dataDir } = workerData as { dataDir: string | undefined };
  let db: PGlite;
  try {
    db = new PGlite({ ...(dataDir === undefined ? {} : { dataDir }), ...pgliteOptions });
    await db.waitReady;
  } catch (err) {
    port.postMessage({ id: 0, error: errorData(err) } satisfies Reply);
    return;
  }
  port.postMessage({ id: 0, rows: [] } satisfies Reply);

  /** Each open transaction's statements, waiting for the transaction's callback to take them. */
  const transactions = new Map<number, TransactionState>();
  const reply = (r: Reply) => port.postMessage(r);

  async function runTransaction(id: number): Promise<void> {
    const state: TransactionState = { queue: [], began: false };
    transactions.set(id, state);
    const next = async (): Promise<Request> => {
      while (state.queue.length === 0) await new Promise<void>((r) => (state.wake = r));
      return state.queue.shift()!;
    };
    try {
      await db.transaction(async (tx: Transaction) => {
        state.began = true;
        reply({ id, rows: [] });
        for (;;) {
          const m = await next();
          if (m.op === 'end') {
            state.endId = m.id;
            // Statements sent after the end (a caller that did not wait) are refused, not left hanging.
            for (const late of state.queue.splice(0)) {
              reply({ id: late.id, error: { message: 'the transaction has already ended' } });
            }
            if (!m.commit) throw new Rollback();
            return;
          }
          if (m.op !== 'query') continue;
          try {
            reply({ id: m.id, rows: (await tx.query(m.sql, m.params)).rows });
          } catch (err) {
            reply({ id: m.id, error: errorData(err) });
          }
        }
      });
      reply({ id: state.endId!, rows: [] });
    } catch (err) {
      if (!state.began) reply({ id, error: errorData(err) });
      else if (err instanceof Rollback) reply({ id: state.endId!, rows: [] });
      else reply({ id: state.endId ?? id, error: errorData(err) });
    } finally {
      transactions.delete(id);
    }
  }

  port.on('message', (m: Request) => {
    if (m.op === 'query' && m.tx !== undefined) return deliver(m.tx, m);
    if (m.op === 'end') return deliver(m.tx, m);
    if (m.op === 'begin') return void runTransaction(m.id);
    if (m.op === 'close') {
      void db.close().then(
        () => reply({ id: m.id, rows: [] }),
        (err: unknown) => reply({ id: m.id, error: errorData(err) }),
      );
      return;
    }
    db.query(m.sql, m.params).then(
      (res) => reply({ id: m.id, rows: res.rows }),
      (err: unknown) => reply({ id: m.id, error: errorData(err) }),
    );
  });

  function deliver(tx: number, m: Request): void {
    const state = transactions.get(tx);
    if (!state) return reply({ id: m.id, error: { message: 'the transaction has already ended' } });
    state.queue.push(m);
    state.wake?.();
  }
}

void main();
