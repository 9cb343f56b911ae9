// `require('hookflow/testing')`: the sources under tsx (a development install), else dist/ (see index.cjs).
let fromSources = true;
try {
  require.resolve('tsx/cjs');
} catch {
  fromSources = false;
}
if (fromSources) {
  require('tsx/cjs');
  module.exports = require('./app/testing.ts');
} else {
  module.exports = require('./dist/app/testing.js');
}
