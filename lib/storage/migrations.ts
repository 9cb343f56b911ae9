// The schema, as an ordered list of migrations. Applied under an advisory lock so several server
// and worker replicas starting at once migrate exactly once. Never edit a released migration:
// append a new one. One file though long: the schema's history reads in order here, and each
// migration is a block of SQL with the reason it was added.
import type { Db } from './db';

export const MIGRATIONS: readonly string[] = [
  // 1: the delivery ledger, the outbox, installations.
  `
  CREATE TABLE deliveries (
    delivery_key     text PRIMARY KEY,
    provider         text NOT NULL,
    source           text NOT NULL,
    hook_id          text NOT NULL,
    delivery_id      text NOT NULL,
    event            text NOT NULL,
    action           text,
    installation     text,
    repository       text,
    workflow_type    text,
    content_type     text NOT NULL,
    raw_body         bytea,
    outcome          text NOT NULL,
    reason           text,
    workflow_id      text,
    run_id           text,
    receive_count    integer NOT NULL DEFAULT 1,
    received_at      timestamptz NOT NULL DEFAULT now(),
    last_received_at timestamptz NOT NULL DEFAULT now(),
    finished_at      timestamptz,
    expires_at       timestamptz NOT NULL
  );
  CREATE INDEX deliveries_expires_at ON deliveries (expires_at);
  CREATE INDEX deliveries_outcome ON deliveries (outcome, received_at);
  CREATE INDEX deliveries_installation ON deliveries (provider, installation);

  CREATE TABLE outbox (
    delivery_key    text PRIMARY KEY REFERENCES deliveries (delivery_key) ON DELETE CASCADE,
    enqueued_at     timestamptz NOT NULL DEFAULT now(),
    attempts        integer NOT NULL DEFAULT 0,
    rerun_failed    boolean NOT NULL DEFAULT false,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text
  );
  CREATE INDEX outbox_next_attempt ON outbox (next_attempt_at);

  CREATE TABLE installations (
    provider        text NOT NULL,
    installation_id text NOT NULL,
    source          text NOT NULL,
    account         text,
    status          text NOT NULL CHECK (status IN ('active', 'unverified', 'removed')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (provider, installation_id)
  );

  CREATE TABLE installation_repositories (
    provider        text NOT NULL,
    installation_id text NOT NULL,
    repository_id   bigint NOT NULL,
    full_name       text NOT NULL,
    PRIMARY KEY (provider, installation_id, repository_id),
    FOREIGN KEY (provider, installation_id) REFERENCES installations ON DELETE CASCADE
  );
  `,
  // 2: the API client's shared state (tokens, rate-limit budgets, conditional-request cache) and
  // the synced repository data, keeping only the fields the integration needs.
  `
  CREATE TABLE api_tokens (
    provider        text NOT NULL,
    installation_id text NOT NULL,
    ciphertext      text NOT NULL,
    expires_at      timestamptz NOT NULL,
    refreshed_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (provider, installation_id)
  );

  CREATE TABLE api_budgets (
    provider          text NOT NULL,
    installation_id   text NOT NULL,
    rl_limit          integer,
    rl_remaining      integer,
    rl_reset_at       timestamptz,
    rl_resource       text,
    last_request_at   timestamptz,
    last_mutation_at  timestamptz,
    content_created   timestamptz[] NOT NULL DEFAULT '{}',
    blocked_until     timestamptz,
    secondary_strikes integer NOT NULL DEFAULT 0,
    PRIMARY KEY (provider, installation_id)
  );

  CREATE TABLE api_cache (
    provider        text NOT NULL,
    installation_id text NOT NULL,
    url             text NOT NULL,
    etag            text,
    last_modified   text,
    link            text,
    body            bytea NOT NULL,
    stored_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (provider, installation_id, url)
  );

  CREATE TABLE sync_repositories (
    provider        text NOT NULL,
    full_name       text NOT NULL,
    installation_id text NOT NULL,
    api_url         text NOT NULL,
    last_synced_at  timestamptz,
    last_summary    jsonb,
    PRIMARY KEY (provider, full_name)
  );

  CREATE TABLE sync_checkpoints (
    job_key         text PRIMARY KEY,
    workflow_id     text NOT NULL,
    next_url        text,
    totals          jsonb NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now()
  );
  CREATE INDEX sync_checkpoints_workflow ON sync_checkpoints (workflow_id);

  CREATE TABLE repo_issues (
    provider        text NOT NULL,
    repository      text NOT NULL,
    number          integer NOT NULL,
    id              bigint NOT NULL,
    url             text NOT NULL,
    title           text NOT NULL,
    state           text NOT NULL,
    author          text,
    labels          text[] NOT NULL DEFAULT '{}',
    comments        integer NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    closed_at       timestamptz,
    PRIMARY KEY (provider, repository, number)
  );

  CREATE TABLE repo_pull_requests (
    provider        text NOT NULL,
    repository      text NOT NULL,
    number          integer NOT NULL,
    id              bigint NOT NULL,
    title           text NOT NULL,
    state           text NOT NULL,
    author          text,
    draft           boolean NOT NULL DEFAULT false,
    head_ref        text,
    base_ref        text,
    merged_at       timestamptz,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    closed_at       timestamptz,
    PRIMARY KEY (provider, repository, number)
  );

  CREATE TABLE repo_issue_comments (
    provider        text NOT NULL,
    repository      text NOT NULL,
    id              bigint NOT NULL,
    issue_url       text NOT NULL,
    author          text,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    PRIMARY KEY (provider, repository, id)
  );
  CREATE INDEX repo_issue_comments_issue ON repo_issue_comments (provider, repository, issue_url)
  `,
  // 3: a parked delivery keeps its request's trace context (W3C traceparent, as JSON), so the relay's
  // later start continues the delivery's trace.
  `
  ALTER TABLE outbox ADD COLUMN trace_context text
  `,
  // 4: how many runs of a delivery's workflow have ended (`hookflow deliveries` shows the runs so
  // far), counted once per run however often its last activity is retried; deliveries listed by
  // time and looked up by the provider's delivery ID.
  `
  ALTER TABLE deliveries ADD COLUMN finished_runs integer NOT NULL DEFAULT 0;
  ALTER TABLE deliveries ADD COLUMN last_finished_run text;
  UPDATE deliveries SET finished_runs = 1, last_finished_run = run_id WHERE outcome IN ('completed', 'failed');
  CREATE INDEX deliveries_received_at ON deliveries (received_at DESC);
  CREATE INDEX deliveries_delivery_id ON deliveries (delivery_id)
  `,
  // 5: bulk replay jobs. A job's selection is frozen when the job starts (one row per delivery, in
  // replay order), so deliveries that arrive or fail later are not swept in; each row records what
  // became of its delivery.
  `
  CREATE TABLE replay_jobs (
    job text PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now(),
    selection jsonb NOT NULL,
    matched integer NOT NULL
  );
  CREATE TABLE replay_job_items (
    job text NOT NULL REFERENCES replay_jobs ON DELETE CASCADE,
    position integer NOT NULL,
    delivery_key text NOT NULL,
    state text NOT NULL DEFAULT 'pending',
    run_id text,
    reason text,
    PRIMARY KEY (job, position)
  )
  `,
  // 6: reconciliation against GitHub's delivery log. Per hook (`source`): the time before which
  // every delivery in the log was processed, and each GUID hookflow asked GitHub to send again
  // (asked once, never twice; `state` says whether the request was answered).
  `
  CREATE TABLE reconcile_watermarks (
    source           text PRIMARY KEY,
    processed_before timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL DEFAULT now()
  );
  CREATE TABLE reconcile_redeliveries (
    source      text NOT NULL,
    guid        text NOT NULL,
    attempt_id  text NOT NULL,
    state       text NOT NULL CHECK (state IN ('sending', 'sent', 'refused')),
    reason      text,
    asked_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, guid)
  );
  CREATE INDEX reconcile_redeliveries_asked_at ON reconcile_redeliveries (asked_at)
  `,
  // 7: reconciliation, made safe to retry and to repeat. A request names the activity that claimed
  // it (so a retry of that activity may take it again), a request whose answer was lost is kept as
  // `unconfirmed`, a GUID past GitHub's window as `expired` (counted once); the watermark notes the
  // gap it was last counted for; each failed-in-hookflow delivery the reconciler replayed is kept, so
  // it replays none twice.
  `
  ALTER TABLE reconcile_redeliveries DROP CONSTRAINT reconcile_redeliveries_state_check;
  ALTER TABLE reconcile_redeliveries ADD CONSTRAINT reconcile_redeliveries_state_check
    CHECK (state IN ('sending', 'sent', 'refused', 'unconfirmed', 'expired'));
  ALTER TABLE reconcile_redeliveries ADD COLUMN claimed_by text;
  ALTER TABLE reconcile_watermarks ADD COLUMN gap_counted_from timestamptz;
  CREATE TABLE reconcile_replays (
    source      text NOT NULL,
    guid        text NOT NULL,
    state       text NOT NULL CHECK (state IN ('replaying', 'replayed', 'refused')),
    claimed_by  text NOT NULL,
    run_id      text,
    reason      text,
    replayed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, guid)
  );
  CREATE INDEX reconcile_replays_replayed_at ON reconcile_replays (replayed_at)
  `,
  // 8: the journal of the mutating API requests users' handlers completed, per delivery, run and
  // handler: a retried handler's identical request (method, URL, body digest, and which of several
  // identical ones it is) is answered from here instead of being sent again. Purged with its delivery.
  `
  CREATE TABLE handler_requests (
    delivery_key text NOT NULL REFERENCES deliveries (delivery_key) ON DELETE CASCADE,
    run_id       text NOT NULL,
    handler      text NOT NULL,
    request      text NOT NULL,
    occurrence   integer NOT NULL,
    method       text NOT NULL,
    url          text NOT NULL,
    status       integer NOT NULL,
    response     jsonb NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (delivery_key, run_id, handler, request, occurrence)
  )
  `,
  // 9: the hooks hookflow manages through the provider's API (created or imported): where each is
  // configured, and its secrets, sealed (a JSON list, newest first, each with the time it stops
  // being accepted, if any). The front door verifies a delivery naming the hook with them.
  `
  CREATE TABLE managed_hooks (
    provider   text NOT NULL,
    hook_id    text NOT NULL,
    scope      text NOT NULL CHECK (scope IN ('repository', 'organization')),
    target     text NOT NULL,
    events     jsonb NOT NULL,
    url        text NOT NULL,
    secrets    text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (provider, hook_id)
  )
  `,
  // 10: installations checked against the API: `unknown` is one GitHub does not know (its deliveries
  // are refused from then on), and the deliveries accepted from it before that are marked.
  `
  ALTER TABLE installations DROP CONSTRAINT installations_status_check;
  ALTER TABLE installations ADD CONSTRAINT installations_status_check
    CHECK (status IN ('active', 'unverified', 'removed', 'unknown'));
  ALTER TABLE deliveries ADD COLUMN installation_unknown boolean NOT NULL DEFAULT false
  `,
  // 11: PubSubHubbub subscriptions beside the hooks: a subscription is kept like a hook (its own
  // sealed secret, its repository as its place), under the ID its callback URL carries (`hub:<id>`),
  // with the topic it was subscribed to, so it can be unsubscribed exactly as it was made.
  `
  ALTER TABLE managed_hooks ADD COLUMN kind text NOT NULL DEFAULT 'hook' CHECK (kind IN ('hook', 'hub'));
  ALTER TABLE managed_hooks ADD COLUMN topic text;
  ALTER TABLE managed_hooks ADD CONSTRAINT managed_hooks_kind_id CHECK ((kind = 'hub') = (hook_id LIKE 'hub:%'))
  `,
  // 12: the source-address allow-lists the front door checks (GitHub's hook addresses from GET /meta),
  // as last fetched: every replica reads the same list, and a failed refresh keeps this one.
  `
  CREATE TABLE ip_allowlists (
    name       text PRIMARY KEY,
    ranges     jsonb NOT NULL,
    fetched_at timestamptz NOT NULL
  )
  `,
  // 13: raw bodies sealed at rest: the ID of the key a body is sealed with (NULL: kept in plain text,
  // as every body was before), so rows are counted and re-sealed by key.
  `
  ALTER TABLE deliveries ADD COLUMN body_key_id text
  `,
  // 14: how many Temporal payloads the workers decrypted under each key, and when last: histories
  // are not re-encrypted, so this is how an operator sees an old key still being needed.
  `
  CREATE TABLE payload_key_uses (
    key_id          text PRIMARY KEY,
    decodes         bigint NOT NULL,
    last_decoded_at timestamptz NOT NULL
  )
  `,
  // 15: which attempt of a handler is sending a mutating request right now. An attempt Temporal
  // declared lost may still be alive with its request on the wire; its retry waits for that answer
  // (then read from handler_requests) instead of sending the same comment a second time.
  `
  CREATE TABLE handler_request_claims (
    delivery_key text NOT NULL REFERENCES deliveries (delivery_key) ON DELETE CASCADE,
    run_id       text NOT NULL,
    handler      text NOT NULL,
    request      text NOT NULL,
    occurrence   integer NOT NULL,
    claimer      text NOT NULL,
    claimed_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (delivery_key, run_id, handler, request, occurrence)
  )
  `,
];

const LOCK_ID = 0x686f6f6b; // "hook"

export async function migrate(db: Db): Promise<number> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [LOCK_ID]);
    await tx.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const { rows } = await tx.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
    const current = rows[0]?.v ?? 0;
    for (let version = current + 1; version <= MIGRATIONS.length; version++) {
      for (const statement of splitStatements(MIGRATIONS[version - 1])) await tx.query(statement);
      await tx.query('INSERT INTO schema_migrations (version) VALUES ($1)', [version]);
    }
    return MIGRATIONS.length;
  });
}

/** Migrations hold no semicolons inside strings or bodies, so a plain split is exact here. */
function splitStatements(sql: string): string[] {
  return sql
    .split(';')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
