/**
 * One builder run in its own process, so its peak RSS is the builder's alone:
 * `node --import tsx bench/builderRun.ts <source dir> <data dir> <cache dir> [resident|sharded] [model]`
 * prints one JSON line (model: what `build-index --model` takes; the default model when absent).
 */
import { buildIndex } from '../index-builder/buildIndex';
import { loadModel } from '../index-builder/loadModel';
import { openSource } from '../index-builder/openSource';
import { silentProgress } from '../index-builder/progressReporter';

const [source, dataDir, cacheDir, layout = 'resident', modelName] = process.argv.slice(2);
if (!source || !dataDir || !cacheDir || (layout !== 'resident' && layout !== 'sharded'))
  throw new Error('usage: builderRun.ts <source> <data dir> <cache> [resident|sharded] [model]');
// Built (if needed) before the clock starts: the model is not part of a build's time.
const model = await loadModel(modelName);
const t = performance.now();
const { report } = await buildIndex({
  source: openSource(source),
  dataDir,
  model,
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
