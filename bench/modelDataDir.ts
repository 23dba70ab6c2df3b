import path from 'node:path';
import { buildIndex } from '../index-builder/buildIndex';
import { loadModel } from '../index-builder/loadModel';
import { silentProgress } from '../index-builder/progressReporter';
import { openSource } from '../index-builder/openSource';
import { prepareModel } from '../models/prepareModel';
import { ensureResnet50Synthetic } from '../models/resnet50Generator';
import { REPO_ROOT } from '../testing/repoRoot';

/** The ResNet-50 spec whose layer names the generated stand-in model shares (docs/model.md). */
const RESNET50_SPEC = path.join(REPO_ROOT, 'models', 'specs', 'resnet50-v1-12-qdq.json');

/**
 * A data dir built from an image folder by the real builder, so own-image queries run the model the
 * index was made with. `specPath` undefined = the default MobileNetV2.
 */
export async function buildModelDataDir(
  imagesDir: string,
  dataDir: string,
  specPath?: string,
): Promise<{ modelId: string; modelBytes: number }> {
  const model = await loadModel(specPath);
  const { report } = await buildIndex({
    source: openSource(imagesDir),
    dataDir,
    model,
    cacheDir: path.join(dataDir, '..', `${path.basename(dataDir)}-cache`),
    progress: silentProgress,
  });
  return { modelId: report.modelId, modelBytes: report.bytes.model };
}

/** The generated int8 ResNet-50 (npm run generate-resnet50) through prepare-model into `outDir`. */
export async function preparedResnet50(outDir: string): Promise<string> {
  const inPath = await ensureResnet50Synthetic({ quiet: true });
  const { specPath } = await prepareModel({ inPath, specPath: RESNET50_SPEC, outDir });
  return specPath;
}
