// `require('hookflow')`: the public entry point (index.ts), from the sources or dist/ (load-entry.cjs).
module.exports = require('./load-entry.cjs')('index.ts', 'index.js');
