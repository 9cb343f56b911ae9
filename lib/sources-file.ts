// The optional sources file (HOOKFLOW_SOURCES_FILE, JSON): GitHub hooks that have their own
// secrets, and declaratively described providers. See README "Sources".
import { z } from 'zod';
import { REPOSITORY_NAME } from './sync-client';

const secrets = z
  .array(z.string().min(1, 'a secret must not be empty'))
  .min(1, 'list at least one secret: a source without a secret accepts nothing');

const headerName = z
  .string()
  .regex(/^[A-Za-z0-9-]+$/, 'must be an HTTP header name')
  .transform((h) => h.toLowerCase());

const fieldPath = z
  .string()
  .regex(/^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/, 'must be a dotted field path such as installation.id');

const githubHookSchema = z
  .object({
    hookId: z.string().regex(/^\d+$/, 'must be the numeric X-GitHub-Hook-ID'),
    secrets,
    allowSha1: z.boolean().default(false),
    // Where the hook is configured, so its delivery log can be listed (GET
    // /repos/{owner}/{repo}/hooks/{hook_id}/deliveries or /orgs/{org}/hooks/{hook_id}/deliveries)
    // and compared with the ledger.
    repository: z
      .string()
      .regex(REPOSITORY_NAME, 'must be the repository the hook is configured on, as owner/repo')
      .optional(),
    organization: z
      .string()
      .regex(
        /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/,
        'must be the organization the hook is configured on (its login, such as octo-org)',
      )
      .optional(),
  })
  .strict()
  .refine((h) => h.repository === undefined || h.organization === undefined, {
    message:
      'a hook is configured on a repository or on an organization: give repository or organization, not both',
  });

export const declarativeProviderSchema = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'must be a lowercase name such as trulinks'),
    path: z.string().regex(/^\/[A-Za-z0-9/_-]*$/, 'must be a URL path such as /api/trulinks/webhooks'),
    secrets,
    headers: z.object({
      delivery: headerName,
      signature: headerName,
      event: headerName.optional(),
    }),
    eventField: fieldPath.optional(),
    signature: z
      .object({
        algorithm: z.enum(['sha256', 'sha1', 'sha512']).default('sha256'),
        prefix: z.string().default(''),
        encoding: z.enum(['hex', 'base64']).default('hex'),
      })
      .default({ algorithm: 'sha256', prefix: '', encoding: 'hex' }),
    installationField: fieldPath,
    installations: z.array(z.string().min(1)).default([]),
    events: z.array(z.string().min(1)).min(1, 'list the events hookflow should handle'),
  })
  .refine((p) => p.headers.event !== undefined || p.eventField !== undefined, {
    message: 'give headers.event or eventField: hookflow needs to know each delivery’s event',
  });

export const sourcesFileSchema = z
  .object({
    hooks: z.array(githubHookSchema).default([]),
    providers: z.array(declarativeProviderSchema).default([]),
  })
  .strict();

export type DeclarativeProviderConfig = z.infer<typeof declarativeProviderSchema>;
export type SourcesFile = z.infer<typeof sourcesFileSchema>;
