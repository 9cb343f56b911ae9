#!/usr/bin/env node
// `npx hookflow …`: the CLI, run through tsx like every other entry point (there is no build step).
require('tsx/cjs');
require('../cli/main.ts');
