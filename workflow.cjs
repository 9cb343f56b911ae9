// `require('hookflow/workflow')` in Node (listing an app's workflows at start): workflows/public.ts,
// from the sources or dist/ (load-entry.cjs). The workflow bundler takes the sources themselves
// (the `webpack` condition in package.json).
module.exports = require('./load-entry.cjs')('workflows/public.ts', 'workflows/public.js');
