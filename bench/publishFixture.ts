import { readFileSync, rmSync } from 'node:fs';
import sharp from 'sharp';
import type { ModelSpec } from '../core/modelSpec';
import { DataDirWriter } from '../storage/dataDirWriter';
import { publishDataDir, type BuildToPublish, type PublishedDataDir } from '../storage/publishDataDir';

/** The one thumbnail (and original) every item of a bench fixture names: album-image queries never fetch it. */
export const SHARED_THUMB = 'thumbs/shared.webp';

/**
 * Publishes a synthetic build into a fresh `dir` the way the builder does (publishDataDir), with the
 * model copied in (a manifest must name one) and SHARED_THUMB as its only image file.
 */
export async function publishFixture(
  dir: string,
  build: Omit<BuildToPublish, 'createdAt' | 'model' | 'media'>,
  model: { spec: ModelSpec; onnxPath: string },
): Promise<PublishedDataDir> {
  rmSync(dir, { recursive: true, force: true });
  const thumb = await sharp({ create: { width: 1, height: 1, channels: 3, background: '#888' } })
    .webp()
    .toBuffer();
  const writer = new DataDirWriter(dir);
  await writer.open();
  try {
    await writer.putContentAddressed(SHARED_THUMB, thumb);
    return await publishDataDir(writer, {
      ...build,
      createdAt: new Date(),
      model: { spec: model.spec, bytes: new Uint8Array(readFileSync(model.onnxPath)) },
      media: [SHARED_THUMB],
    });
  } finally {
    await writer.close();
  }
}
