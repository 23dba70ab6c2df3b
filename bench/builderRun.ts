/**
 * One builder run in its own process, so its peak RSS is the builder's alone:
 * `node --import tsx bench/builderRun.ts <source dir> <out dir> <cache dir> [resident|sharded]` prints one
 * JSON line.
 */
import { buildIndex } from '../index-builder/buildIndex';
import { loadModel } from '../index-builder/loadModel';
import { openSource } from '../index-builder/openSource';
import { silentProgress } from '../index-builder/progressReporter';

const [source, outDir, cacheDir, layout = 'resident'] = process.argv.slice(2);
if (!source || !outDir || !cacheDir || (layout !== 'resident' && layout !== 'sharded'))
  throw new Error('usage: builderRun.ts <source> <out> <cache> [resident|sharded]');
const t = performance.now();
const { report } = await buildIndex({
  source: openSource(source),
  outDir,
  model: await loadModel(),
  cacheDir,
  layout,
  progress: silentProgress,
});
console.log(
  JSON.stringify({
    wallMs: performance.now() - t,
    // resourceUsage reports kilobytes; worker threads (onnxruntime's included) share the process.
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    report,
  }),
);
