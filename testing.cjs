// `require('hookflow/testing')`: app/testing.ts, from the sources or dist/ (load-entry.cjs).
module.exports = require('./load-entry.cjs')('app/testing.ts', 'app/testing.js');
