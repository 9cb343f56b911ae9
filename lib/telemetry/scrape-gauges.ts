// Gauges written as Prometheus text at each scrape instead of kept by the OpenTelemetry SDK. The
// SDK's observable instruments (1.x, cumulative temporality) export every series they ever saw,
// frozen at its last value, so an installation evicted from the budget table or a source that
// stopped answering would live on with a stale number. Written here, a series is exactly what is
// known at the moment of the scrape.
// Text format: https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format

/** Installations whose rate-limit budget is a labelled series: the most recently seen ones. */
export const MAX_BUDGET_SERIES = 100;
/** How long a gauge's source (storage, Temporal) may take at a scrape before its sample is left out. */
const SOURCE_DEADLINE_MS = 2_000;

export interface Budget {
  installation: string;
  resource: string;
  remaining: number;
  limit: number;
}

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

function withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

export function createScrapeGauges(sourceDeadlineMs = SOURCE_DEADLINE_MS) {
  /** The budget per installation, bounded: the least recently seen installation's series goes first. */
  const budgets = new Map<string, Budget>();
  /** Gauges read at each scrape; a second source for one name replaces the first (a restarted worker). */
  const sources = new Map<string, { help: string; read: () => Promise<number> }>();

  return {
    recordBudget(b: Budget) {
      const key = `${b.installation}\u0000${b.resource}`;
      budgets.delete(key);
      budgets.set(key, b);
      if (budgets.size > MAX_BUDGET_SERIES) budgets.delete(budgets.keys().next().value!);
    },

    /** A gauge read from `read` at each scrape. */
    observe(name: string, help: string, read: () => Promise<number>) {
      sources.set(name, { help, read });
    },

    /** The gauges as Prometheus text, without a final line feed; empty when there is no sample. */
    async text(): Promise<string> {
      const out: string[] = [];
      const gauge = (name: string, help: string, samples: string[]) => {
        if (samples.length > 0) out.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, ...samples);
      };
      for (const [pick, help] of [
        ['remaining', 'Requests left in the rate-limit window, per installation'],
        ['limit', 'Requests allowed per rate-limit window, per installation'],
      ] as const) {
        gauge(
          `hookflow_api_rate_limit_${pick}`,
          help,
          [...budgets.values()].map(
            (b) =>
              `hookflow_api_rate_limit_${pick}{installation="${escapeLabel(b.installation)}",resource="${escapeLabel(b.resource)}"} ${b[pick]}`,
          ),
        );
      }
      const read = await Promise.all(
        [...sources].map(async ([name, source]) => {
          // A source that does not answer in time (Temporal or storage away) gives no sample: never a stale one.
          const value = await withDeadline(source.read(), sourceDeadlineMs).catch(() => undefined);
          return { name, help: source.help, value };
        }),
      );
      for (const { name, help, value } of read)
        gauge(name, help, value === undefined ? [] : [`${name} ${value}`]);
      return out.join('\n');
    },
  };
}
