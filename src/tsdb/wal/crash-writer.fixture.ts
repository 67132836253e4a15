// Child process of crash.test.ts: appends deterministic batches as fast as it can and prints the
// number of each batch once log() has returned for it, i.e. once it is acknowledged, and whether
// it cut a segment. The parent
// kills it with SIGKILL at an arbitrary moment and checks that every acknowledged batch replays.
import { openWal } from './index.ts';
import { crashBatch } from './testutil.ts';

const [dir, policy] = process.argv.slice(2);
let next = 0;
const { wal } = await openWal(
  { dir, fsync: policy as 'always' | 'interval' | 'never', segmentSize: 32 * 1024, logger: { info() {}, warn() {}, error() {} } },
  // Batch k creates series k + 1, so the number of series replayed is where to continue.
  { series: () => next++, samples: () => {} },
);
for (;;) {
  const b = crashBatch(next);
  const segments = wal.segmentCount();
  wal.log(b.seriesRefs, b.seriesLabels, b.refs, b.ts, b.vs, b.n);
  // Synchronous for pipes on Linux. " cut": this call started a new segment (the parent may kill
  // right then, while the old segment's sync is still running).
  process.stdout.write(wal.segmentCount() > segments ? `${next} cut\n` : `${next}\n`);
  next++;
  // Every so often let the event loop run, so the fsync timer of the 'interval' policy fires too.
  if (next % 64 === 0) await new Promise((resolve) => setImmediate(resolve));
}
