#!/usr/bin/env node
// `npx hookflow …`: the CLI. A development install (tsx present) runs the sources, so an edit is
// live at once; a production install (`npm ci --omit=dev`, as in the image) runs the compiled
// dist/ that `npm run build` made.
const path = require('node:path');

let fromSources = true;
try {
  require.resolve('tsx/cjs');
} catch {
  fromSources = false;
}
if (fromSources) {
  require('tsx/cjs');
  require('../cli/main.ts');
} else {
  require(path.join(__dirname, '..', 'dist', 'cli', 'main.js'));
}
