// The triage bot: both ways of writing a hookflow app in one.
// - A plain handler (as in Probot) welcomes each new issue and labels it for triage, as the
//   repository's .github/triage-bot.yml says.
// - A workflow of the app's own (workflows.ts) summarises each new pull request's files: a Temporal
//   workflow, for work with several steps that should survive restarts.
import { defineApp } from 'hookflow';
import { summariseFiles } from './activities';

/** What `.github/triage-bot.yml` may set; what it leaves out comes from here. */
export const DEFAULT_CONFIG = {
  label: 'triage',
  comment: 'Thanks for opening this issue! A maintainer will triage it soon.',
};

export default defineApp((app) => {
  app.on('issues.opened', async (context) => {
    // Bots open issues too (dependency updaters, other apps): a welcome is noise to them.
    if (context.isBot) return;
    const config = (await context.config('triage-bot.yml', DEFAULT_CONFIG)) ?? DEFAULT_CONFIG;
    await context.octokit.rest.issues.createComment(context.issue({ body: config.comment }));
    await context.octokit.rest.issues.addLabels(context.issue({ labels: [config.label] }));
  });

  app.workflows(require.resolve('./workflows'), { summariseFiles });
  app.runWorkflow('pull_request.opened', 'summarisePullRequest');
});
