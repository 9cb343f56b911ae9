#!/usr/bin/env node
// `npx hookflow …`: the CLI (cli/main.ts). A development install (tsx present) runs the sources, so
// an edit is live at once; a production install (`npm ci --omit=dev`, as in the image) runs the
// compiled dist/ that `npm run build` made (../load-entry.cjs decides, for every entry point).
require('../load-entry.cjs')('cli/main.ts', 'cli/main.js');
