import { resolve } from 'node:path';
import { describeFiles, type PlannedFile } from './deployPlan';
import { collectLocalFiles } from './localFiles';
import { readPublishedDataSet, verifyManifestHashes } from './publishedDataSet';
import { PublishedMediaCheck } from './publishedMedia';
import { DATA_DIR } from './publishRules';
import { BUILDER_NAMES, DATA_DIR_MARKER, ownedMedia } from '../storage/dataDirNames';

/**
 * Everything a deploy would publish, described and checked locally before the bucket is contacted:
 * the site's files (none when `siteDir` is undefined) and the part of the data dir the manifest reaches.
 */
export async function describePublication(o: {
  siteDir: string | undefined;
  dataDir: string;
  prefix: string;
  concurrency: number;
  log: (line: string) => void;
}): Promise<PlannedFile[]> {
  const collected = await collectLocalFiles(o.siteDir, o.dataDir);
  if (
    collected.shadowedSiteFiles.length > 0 &&
    o.siteDir !== undefined &&
    resolve(o.siteDir, DATA_DIR) !== o.dataDir
  ) {
    o.log(
      `note: ${collected.shadowedSiteFiles.length} file(s) under ${o.siteDir}/data are not published: ${o.dataDir} is`,
    );
  }
  const inData = (sitePath: string) => sitePath.startsWith(`${DATA_DIR}/`);
  const dataPath = (sitePath: string) => sitePath.slice(DATA_DIR.length + 1);
  const dataSet = await readPublishedDataSet(
    o.dataDir,
    new Set(collected.files.filter((f) => inData(f.sitePath)).map((f) => dataPath(f.sitePath))),
  );
  const unpublished = collected.files.filter(
    (f) => inData(f.sitePath) && !dataSet.paths.has(dataPath(f.sitePath)),
  );
  // The builder's own working files (build-report.json, duplicate-pairs.bin, …) are never published:
  // naming them on every deploy made an ordinary build read like a problem. Nor are the thumbnails and
  // originals it keeps of the previous build (publishedDataSet.ts retainedPaths).
  const surprising = unpublished
    .map((f) => dataPath(f.sitePath))
    .filter((p) => !BUILDER_NAMES.has(p.split('/')[0]) && p !== DATA_DIR_MARKER && !ownedMedia(p));
  if (surprising.length > 0) {
    o.log(
      `not published (the manifest does not reach them): ${surprising.slice(0, 3).join(', ')}${surprising.length > 3 ? ', …' : ''}`,
    );
  }
  const toPublish = collected.files.filter(
    (f) => !inData(f.sitePath) || dataSet.paths.has(dataPath(f.sitePath)),
  );
  const media = await PublishedMediaCheck.open(o.dataDir, dataSet.media);
  const described = await describeFiles(toPublish, o.prefix, Math.min(o.concurrency, 4), (f, bytes, sha256) =>
    media.inspect(f, bytes, sha256),
  );
  const files = described.map((f) =>
    inData(f.file.sitePath) && dataSet.retained.has(dataPath(f.file.sitePath)) ? { ...f, retained: true } : f,
  );
  media.assertIntact();
  verifyManifestHashes(
    o.dataDir,
    dataSet.manifest,
    new Map(files.filter((f) => inData(f.file.sitePath)).map((f) => [dataPath(f.file.sitePath), f.sha256])),
  );

  return files;
}
