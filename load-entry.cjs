// How the package's entry points (bin/hookflow.cjs, index.cjs, testing.cjs, workflow.cjs) load: a
// development install (tsx present) runs the TypeScript sources, so an edit is live at once; a
// production install runs the compiled dist/ that `npm run build` made.
const path = require('node:path');

let fromSources = true;
try {
  require.resolve('tsx/cjs');
} catch {
  fromSources = false;
}

module.exports = function loadEntry(source, compiled) {
  if (fromSources) {
    require('tsx/cjs');
    return require(path.join(__dirname, source));
  }
  return require(path.join(__dirname, 'dist', compiled));
};
