// The app's own activity: ordinary Node code (no sandbox), which its workflow calls through
// proxyActivities. Anything non-deterministic (I/O, clocks, libraries) belongs here.

/** A pull request's changed files, counted by top-level folder: `3 files changed: README.md (1), src/ (2)`. */
export function summariseFiles(files: string[]): string {
  const byFolder = new Map<string, number>();
  for (const file of files) {
    const slash = file.indexOf('/');
    const top = slash === -1 ? file : `${file.slice(0, slash)}/`;
    byFolder.set(top, (byFolder.get(top) ?? 0) + 1);
  }
  const parts = [...byFolder].sort(([a], [b]) => a.localeCompare(b)).map(([top, n]) => `${top} (${n})`);
  const count = files.length === 1 ? '1 file changed' : `${files.length} files changed`;
  return parts.length > 0 ? `${count}: ${parts.join(', ')}` : count;
}
