// The fake's webhooks: hooks that really send signed deliveries to a URL (X-GitHub-Delivery,
// X-GitHub-Event, X-GitHub-Hook-ID, X-Hub-Signature-256 and/or X-Hub-Signature; JSON or a form's
// `payload` field), PubSubHubbub subscriptions made through `POST /hub` (kept as hooks), a delivery log with one entry per attempt
// as GitHub keeps it (a refused connection or a non-2xx answer is a failed attempt, worded as GitHub
// words it), and the deliveries API over that log: list (newest first, `cursor` in a `Link`
// rel="next"), one delivery, and `POST …/attempts`, which sends the same GUID again.
// https://docs.github.com/en/rest/apps/webhooks and /rest/repos/webhooks
import { createHmac, randomInt, randomUUID } from 'node:crypto';

export type HookPlace =
  | { kind: 'app' }
  | { kind: 'repository'; repository: string }
  | { kind: 'organization'; organization: string };

interface LogEntry {
  id: number;
  guid: string;
  delivered_at: string;
  redelivery: boolean;
  duration: number;
  status: string;
  status_code: number;
  event: string;
  action: string | null;
  installation_id: number | null;
  repository_id: number | null;
  throttled_at: null;
  /** What was sent, for `POST …/attempts` and the detail view. */
  request: { headers: Record<string, string>; payload: string; json: string };
}

export interface FakeHook {
  id: string;
  place: HookPlace;
  /** As the hooks API sets them (hooks a test adds directly: every event, active, json). */
  events: string[];
  active: boolean;
  contentType: string;
  insecureSsl: string;
  /** The signature headers it sends: sha256 (X-Hub-Signature-256) and/or sha1 (X-Hub-Signature). */
  signatures: ('sha256' | 'sha1')[];
  /** Where deliveries go; change it to make them fail (nothing listening) or succeed. */
  url: string;
  secret: string;
  /** Every attempt, oldest first. */
  log: LogEntry[];
  /** The attempt IDs `POST …/attempts` was asked for, in order. */
  attemptRequests: string[];
  /**
   * Sends a delivery now and logs the attempt. `deliveredAt` backdates the log entry (a delivery
   * from days ago); `guid` reuses one.
   */
  send(
    event: string,
    payload: Record<string, unknown>,
    o?: { guid?: string; deliveredAt?: Date },
  ): Promise<LogEntry>;
  /** Sends the delivery of one log entry again (what `POST …/attempts` and the UI's "Redeliver" do). */
  redeliver(attemptId: number): Promise<LogEntry>;
}

type Reply = { status: number; headers?: Record<string, string>; body?: unknown };

/** How the fake lists a delivery log; tests change it to page through long logs or to misbehave. */
export interface DeliveriesListing {
  /** The most entries a page holds, below the `per_page` asked for (GitHub: 100). */
  pageSize?: number | undefined;
  /**
   * `repeat-cursor`: every page names itself as the next; `empty-pages`: every page is empty and
   * names a new next one.
   */
  fault?: 'repeat-cursor' | 'empty-pages' | undefined;
}

export function createHookDeliveries(o: { timeoutMs?: number | undefined }) {
  const listing: DeliveriesListing = {};
  const hooks: FakeHook[] = [];
  let nextId = 1_000_000;
  // Hook IDs name Temporal workflows (a rotation's `rotate-secret:github:<hook>`), which outlive a
  // test file in the run's one namespace: each fake numbers its hooks from a base of its own.
  let nextHookId = 5_000_000 + randomInt(0, 100_000) * 1_000;
  const pending = new Set<Promise<unknown>>();
  /** Every `POST /hub`, as it was asked. */
  const hubRequests: { mode: string | undefined; topic: string | undefined; callback: string | undefined }[] =
    [];

  async function attempt(
    hook: FakeHook,
    request: LogEntry['request'],
    meta: Pick<LogEntry, 'guid' | 'event' | 'action' | 'installation_id' | 'repository_id' | 'redelivery'>,
    deliveredAt?: Date,
  ): Promise<LogEntry> {
    const started = Date.now();
    let status: string;
    let code = 0;
    try {
      const res = await fetch(hook.url, {
        method: 'POST',
        headers: request.headers,
        body: request.payload,
        signal: AbortSignal.timeout(o.timeoutMs ?? 10_000),
      });
      await res.arrayBuffer();
      code = res.status;
      status = code >= 200 && code < 300 ? 'OK' : `Invalid HTTP Response: ${code}`;
    } catch (err) {
      status = (err as Error).name === 'TimeoutError' ? 'timed out' : 'failed to connect to host';
    }
    const entry: LogEntry = {
      id: nextId++,
      ...meta,
      delivered_at: (deliveredAt ?? new Date(started)).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      duration: (Date.now() - started) / 1000,
      status,
      status_code: code,
      throttled_at: null,
      request,
    };
    hook.log.push(entry);
    return entry;
  }

  function addHook(
    place: HookPlace,
    c: { id: string; url: string; secret: string } & Partial<
      Pick<FakeHook, 'events' | 'active' | 'contentType' | 'insecureSsl' | 'signatures'>
    >,
  ): FakeHook {
    const hook: FakeHook = {
      events: ['*'],
      active: true,
      contentType: 'json',
      insecureSsl: '0',
      signatures: ['sha256'],
      ...c,
      place,
      log: [],
      attemptRequests: [],
      send(event, payload, s = {}) {
        const json = JSON.stringify(payload);
        const form = hook.contentType === 'form';
        // A form's body is its `payload` field; the signature covers the body as sent.
        const text = form ? new URLSearchParams({ payload: json }).toString() : json;
        const guid = s.guid ?? randomUUID();
        const headers: Record<string, string> = {
          'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json',
          'user-agent': 'GitHub-Hookshot/fake',
          'x-github-event': event,
          'x-github-delivery': guid,
          'x-github-hook-id': hook.id,
          'x-github-hook-installation-target-type': place.kind === 'app' ? 'integration' : place.kind,
        };
        if (hook.signatures.includes('sha256'))
          headers['x-hub-signature-256'] =
            `sha256=${createHmac('sha256', hook.secret).update(text).digest('hex')}`;
        if (hook.signatures.includes('sha1'))
          headers['x-hub-signature'] = `sha1=${createHmac('sha1', hook.secret).update(text).digest('hex')}`;
        const installation = (payload.installation as { id?: unknown } | undefined)?.id;
        const repository = (payload.repository as { id?: unknown } | undefined)?.id;
        return attempt(
          hook,
          { headers, payload: text, json },
          {
            guid,
            event,
            action: typeof payload.action === 'string' ? payload.action : null,
            installation_id: typeof installation === 'number' ? installation : null,
            repository_id: typeof repository === 'number' ? repository : null,
            redelivery: false,
          },
          s.deliveredAt,
        );
      },
      async redeliver(attemptId) {
        const original = hook.log.find((e) => e.id === attemptId);
        if (!original) throw new Error(`no delivery ${attemptId} in hook ${hook.id}'s log`);
        const { request, guid, event, action, installation_id, repository_id } = original;
        return attempt(hook, request, {
          guid,
          event,
          action,
          installation_id,
          repository_id,
          redelivery: true,
        });
      },
    };
    hooks.push(hook);
    return hook;
  }

  /** A log entry as the list shows it: without the request sent. */
  function summary(entry: LogEntry): Omit<LogEntry, 'request'> {
    const { request, ...listed } = entry;
    void request;
    return listed;
  }

  /** A hook as the hooks API shows it: the secret is never shown, only that there is one. */
  function hookJson(hook: FakeHook, base: string) {
    const where =
      hook.place.kind === 'repository'
        ? `repos/${hook.place.repository}`
        : hook.place.kind === 'organization'
          ? `orgs/${hook.place.organization}`
          : 'app';
    return {
      type: hook.place.kind === 'repository' ? 'Repository' : 'Organization',
      id: Number(hook.id),
      name: 'web',
      active: hook.active,
      events: hook.events,
      config: {
        url: hook.url,
        content_type: hook.contentType,
        insecure_ssl: hook.insecureSsl,
        ...(hook.secret ? { secret: '********' } : {}),
      },
      ping_url: new URL(`${where}/hooks/${hook.id}/pings`, base).href,
    };
  }

  /** GitHub's ping: sent when a hook is created active, and on `POST …/pings`. */
  function ping(hook: FakeHook, base: string): void {
    const sending = hook
      .send('ping', {
        zen: 'Design for failure.',
        hook_id: Number(hook.id),
        hook: hookJson(hook, base),
        ...(hook.place.kind === 'repository' ? { repository: { full_name: hook.place.repository } } : {}),
        ...(hook.place.kind === 'organization' ? { organization: { login: hook.place.organization } } : {}),
      })
      .catch(() => undefined);
    pending.add(sending);
    void sending.finally(() => pending.delete(sending));
  }

  /**
   * The hooks API of repositories and organizations (create, list, get, update, delete, ping; a
   * token's calls only), or undefined when `pathname` is no such route.
   * https://docs.github.com/en/rest/repos/webhooks
   */
  function manage(
    method: string,
    url: URL,
    base: string,
    body: unknown,
    caller: { jwt: boolean },
  ): Reply | undefined {
    const m =
      /^\/repos\/([^/]+\/[^/]+)\/hooks(?:\/(\d+)(?:\/(pings|tests|config))?)?$/.exec(url.pathname) ??
      /^\/orgs\/([^/]+)\/hooks(?:\/(\d+)(?:\/(pings|config))?)?$/.exec(url.pathname);
    if (!m) return undefined;
    if (caller.jwt) return { status: 401, body: { message: 'an App JWT cannot call this' } };
    const [, where, id, action] = m;
    const place: HookPlace = url.pathname.startsWith('/repos/')
      ? { kind: 'repository', repository: where }
      : { kind: 'organization', organization: where };
    const here = (h: FakeHook) =>
      (h.place.kind === 'repository' &&
        place.kind === 'repository' &&
        h.place.repository.toLowerCase() === place.repository.toLowerCase()) ||
      (h.place.kind === 'organization' &&
        place.kind === 'organization' &&
        h.place.organization.toLowerCase() === place.organization.toLowerCase());
    const b = (body ?? {}) as {
      active?: boolean;
      events?: string[];
      config?: { url?: string; content_type?: string; secret?: string; insecure_ssl?: string };
      url?: string;
      content_type?: string;
      secret?: string;
      insecure_ssl?: string;
    };
    if (id === undefined) {
      if (method === 'GET') return { status: 200, body: hooks.filter(here).map((h) => hookJson(h, base)) };
      if (method !== 'POST') return { status: 404, body: { message: 'Not Found' } };
      if (!b.config?.url)
        return { status: 422, body: { message: 'Validation Failed: config.url is missing' } };
      const hook = addHook(place, {
        id: String(nextHookId++),
        url: b.config.url,
        secret: b.config.secret ?? '',
        events: b.events ?? ['push'],
        active: b.active ?? true,
        contentType: b.config.content_type ?? 'form',
        insecureSsl: b.config.insecure_ssl ?? '0',
      });
      if (hook.active) ping(hook, base);
      return { status: 201, body: hookJson(hook, base) };
    }
    const hook = hooks.find((h) => h.id === id && here(h));
    if (!hook) return { status: 404, body: { message: 'Not Found' } };
    if (action === 'pings' || action === 'tests') {
      if (method !== 'POST') return { status: 404, body: { message: 'Not Found' } };
      if (action === 'pings') ping(hook, base);
      // GitHub sends the push test only to a hook that takes pushes.
      else if (hook.events.includes('push') || hook.events.includes('*')) {
        const sending = hook
          .send('push', { ref: 'refs/heads/main', repository: { full_name: where } })
          .catch(() => undefined);
        pending.add(sending);
        void sending.finally(() => pending.delete(sending));
      }
      return { status: 204 };
    }
    if (action === 'config') {
      if (method === 'GET') return { status: 200, body: hookJson(hook, base).config };
      if (method !== 'PATCH') return { status: 404, body: { message: 'Not Found' } };
      Object.assign(hook, {
        ...(b.url !== undefined ? { url: b.url } : {}),
        ...(b.secret !== undefined ? { secret: b.secret } : {}),
        ...(b.content_type !== undefined ? { contentType: b.content_type } : {}),
        ...(b.insecure_ssl !== undefined ? { insecureSsl: b.insecure_ssl } : {}),
      });
      return { status: 200, body: hookJson(hook, base).config };
    }
    if (method === 'GET') return { status: 200, body: hookJson(hook, base) };
    if (method === 'PATCH') {
      Object.assign(hook, {
        ...(b.active !== undefined ? { active: b.active } : {}),
        ...(b.events !== undefined ? { events: b.events } : {}),
        ...(b.config?.url !== undefined ? { url: b.config.url } : {}),
        ...(b.config?.secret !== undefined ? { secret: b.config.secret } : {}),
      });
      return { status: 200, body: hookJson(hook, base) };
    }
    if (method === 'DELETE') {
      hooks.splice(hooks.indexOf(hook), 1);
      return { status: 204 };
    }
    return { status: 404, body: { message: 'Not Found' } };
  }

  /**
   * GitHub's PubSubHubbub hub (`POST /hub`, a form; a token's calls only): a subscription is a
   * repository hook for one event, posting to the callback (a form unless the topic ends in .json)
   * and signing with sha1 and sha256; subscribing again modifies it, unsubscribing deletes it.
   * https://docs.github.com/en/rest/repos/webhooks#pubsubhubbub
   */
  function hub(method: string, url: URL, body: unknown, caller: { jwt: boolean }): Reply | undefined {
    if (url.pathname !== '/hub') return undefined;
    if (caller.jwt) return { status: 401, body: { message: 'an App JWT cannot call this' } };
    if (method !== 'POST') return { status: 404, body: { message: 'Not Found' } };
    const b = (body ?? {}) as Record<string, unknown>;
    const [mode, topic, callback, secret] = ['hub.mode', 'hub.topic', 'hub.callback', 'hub.secret'].map(
      (k) => (typeof b[k] === 'string' ? b[k] : undefined),
    );
    hubRequests.push({ mode, topic, callback });
    const m = /^https?:\/\/[^/]+\/([^/]+\/[^/]+)\/events\/([a-z_]+)(\.json)?$/.exec(topic ?? '');
    if (!m || (mode !== 'subscribe' && mode !== 'unsubscribe') || callback === undefined)
      return { status: 422, body: { message: 'Invalid hub.mode, hub.topic or hub.callback' } };
    const [, repository, event, json] = m;
    const existing = hooks.find(
      (h) =>
        h.place.kind === 'repository' &&
        h.place.repository.toLowerCase() === repository.toLowerCase() &&
        h.url === callback &&
        h.events.length === 1 &&
        h.events[0] === event,
    );
    if (mode === 'unsubscribe') {
      if (existing) hooks.splice(hooks.indexOf(existing), 1);
      return { status: 204 };
    }
    if (existing) existing.secret = secret ?? '';
    else
      addHook(
        { kind: 'repository', repository },
        {
          id: String(nextHookId++),
          url: callback,
          secret: secret ?? '',
          events: [event],
          contentType: json ? 'json' : 'form',
          signatures: ['sha256', 'sha1'],
        },
      );
    return { status: 204 };
  }

  /** The deliveries API of the hook at `pathname`, or undefined when `pathname` is no such route. */
  function route(method: string, url: URL, base: string, caller: { jwt: boolean }): Reply | undefined {
    const m =
      /^\/app\/hook\/deliveries(?:\/(\d+)(\/attempts)?)?$/.exec(url.pathname) ??
      /^\/repos\/([^/]+\/[^/]+)\/hooks\/(\d+)\/deliveries(?:\/(\d+)(\/attempts)?)?$/.exec(url.pathname) ??
      /^\/orgs\/([^/]+)\/hooks\/(\d+)\/deliveries(?:\/(\d+)(\/attempts)?)?$/.exec(url.pathname);
    if (!m) return undefined;
    let hook: FakeHook | undefined;
    let rest: (string | undefined)[];
    if (url.pathname.startsWith('/app/')) {
      // The App's own endpoints answer only its JWT, as GitHub's do.
      if (!caller.jwt) return { status: 401, body: { message: 'A JSON web token could not be decoded' } };
      hook = hooks.find((h) => h.place.kind === 'app');
      rest = [m[1], m[2]];
    } else {
      if (caller.jwt) return { status: 401, body: { message: 'an App JWT cannot call this' } };
      const [, where, id] = m;
      hook = hooks.find(
        (h) =>
          h.id === id &&
          ((h.place.kind === 'repository' && h.place.repository.toLowerCase() === where.toLowerCase()) ||
            (h.place.kind === 'organization' && h.place.organization.toLowerCase() === where.toLowerCase())),
      );
      rest = [m[3], m[4]];
    }
    if (!hook) return { status: 404, body: { message: 'Not Found' } };
    const [deliveryId, attempts] = rest;

    if (deliveryId === undefined) {
      if (method !== 'GET') return { status: 404, body: { message: 'Not Found' } };
      const asked = Math.min(100, Math.max(1, Number(url.searchParams.get('per_page') ?? 30) || 30));
      const perPage = Math.min(asked, listing.pageSize ?? 100);
      const linkTo = (cursor: string) => {
        const next = new URL(url.pathname, base);
        next.searchParams.set('per_page', String(asked));
        next.searchParams.set('cursor', cursor);
        return `<${next.href}>; rel="next"`;
      };
      if (listing.fault === 'empty-pages') {
        const n = Number(/^e(\d+)$/.exec(url.searchParams.get('cursor') ?? '')?.[1] ?? 0);
        return { status: 200, headers: { link: linkTo(`e${n + 1}`) }, body: [] };
      }
      const newestFirst = [...hook.log].sort(
        (a, b) => Date.parse(b.delivered_at) - Date.parse(a.delivered_at) || b.id - a.id,
      );
      const cursor = url.searchParams.get('cursor');
      let start = 0;
      if (cursor !== null) {
        const id = /^v1_(\d+)$/.exec(cursor)?.[1];
        start = newestFirst.findIndex((e) => String(e.id) === id);
        if (start < 0) return { status: 422, body: { message: 'Validation Failed: unknown cursor' } };
      }
      const slice = newestFirst.slice(start, start + perPage);
      const headers: Record<string, string> = {};
      const following = newestFirst[start + perPage];
      if (following)
        headers.link = linkTo(listing.fault === 'repeat-cursor' ? `v1_${slice[0].id}` : `v1_${following.id}`);
      return { status: 200, headers, body: slice.map(summary) };
    }
    const entry = hook.log.find((e) => String(e.id) === deliveryId);
    if (!entry) return { status: 404, body: { message: 'Not Found' } };
    if (attempts === undefined) {
      if (method !== 'GET') return { status: 404, body: { message: 'Not Found' } };
      return {
        status: 200,
        body: {
          ...summary(entry),
          request: { headers: entry.request.headers, payload: JSON.parse(entry.request.json) as unknown },
        },
      };
    }
    if (method !== 'POST') return { status: 404, body: { message: 'Not Found' } };
    hook.attemptRequests.push(deliveryId);
    // GitHub accepts the request and sends the delivery on its own time.
    const sending = hook.redeliver(entry.id).catch(() => undefined);
    pending.add(sending);
    void sending.finally(() => pending.delete(sending));
    return { status: 202, body: {} };
  }

  return {
    hooks,
    hubRequests,
    listing,
    addHook,
    route,
    manage,
    hub,
    /** Resolves when every redelivery asked for so far has been attempted. */
    async settled(): Promise<void> {
      while (pending.size > 0) await Promise.all([...pending]);
    },
  };
}
