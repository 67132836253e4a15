#!/usr/bin/env node
// The `strata` command. Node 24 runs the TypeScript sources directly (type stripping),
// so there is no build step between a checkout and a running server.
const [major] = process.versions.node.split('.').map(Number);
if (major < 24) {
  console.error(`strata needs Node.js 24 or newer (this is ${process.version}). ` +
    'Run it through npm (npm start / npx strata), which uses the Node 24 installed in node_modules.');
  process.exit(1);
}
// V8 lets the young generation grow to ~130 MB under a steady allocation rate (remote-write
// decoding) and keeps it: at 100k series that was 40% of the server's memory. A 16 MB semi-space
// cost no measurable CPU in bench/ingest (1.36 CPU-s per 1M samples either way). The flag only
// takes effect at start-up, so the process replaces itself once with it (same pid), unless the
// operator chose semi-space flags already.
const v8Flags = `${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`;
if (!/--(max|min)-semi-space-size/.test(v8Flags) && typeof process.execve === 'function') {
  process.execve(process.execPath, [process.execPath, '--max-semi-space-size=16', ...process.execArgv, ...process.argv.slice(1)]);
}
await import('../src/cli/main.ts');
