// `require('hookflow')`: a development install (tsx present) runs the sources, as bin/hookflow.cjs
// does; a production install runs the compiled dist/ that `npm run build` made.
let fromSources = true;
try {
  require.resolve('tsx/cjs');
} catch {
  fromSources = false;
}
if (fromSources) {
  require('tsx/cjs');
  module.exports = require('./index.ts');
} else {
  module.exports = require('./dist/index.js');
}
