import { createHash } from 'node:crypto';
import { readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import sharp from 'sharp';
import { featurize } from '../core/featurize';
import type { ModelSpec } from '../core/modelSpec';
import { decodeImage } from '../index-builder/decodeImage';
import { createOnnxModelRunner } from '../index-builder/onnxModelRunner';
import { encodeStylePairs, readStylePairs, stylePairsFileFor } from './stylePairsFile';

/*
 * Style pairs: the same emoji drawn by two vendors that no collection we measure on holds (Facebook
 * Messenger's 2017 art from emoji-datasource-messenger, Microsoft's Fluent flat SVGs from
 * @lobehub/fluent-emoji-flat), embedded by the model. How a pair differs is how drawing styles differ
 * for one subject, which is what the learned whitening of any collection should discount a little
 * (index-builder/fitTransform.ts, STYLE_PAIRS_WEIGHT; docs/model.md#shipped-style-pairs). Built once per
 * model, next to its spec; the builder never reads the art.
 */

/** Bump when the art, its codes or its preparation change: files of another recipe are built again. */
export const STYLE_PAIRS_RECIPE = 1;
/** Fluent's SVGs are drawn at this side, near the 64–72 px of emoji-datasource's and OpenMoji's PNGs. */
const SVG_SIDE = 72;
const BATCH = 32;

interface ArtFile {
  code: string;
  read: () => Promise<Buffer>;
}

const require = createRequire(import.meta.url);
const packageDir = (name: string) => path.dirname(require.resolve(`${name}/package.json`));

/** An emoji code as both vendors name it: lower case, without the U+FE0F presentation selector. */
export function pairCode(fileName: string): string {
  return path
    .basename(fileName)
    .replace(/\.[a-z]+$/i, '')
    .toLowerCase()
    .split('-')
    .filter((c) => c !== 'fe0f')
    .join('-');
}

async function messengerArt(): Promise<ArtFile[]> {
  const dir = path.join(packageDir('emoji-datasource-messenger'), 'img', 'messenger', '64');
  const names = (await readdir(dir)).filter((f) => f.endsWith('.png')).sort();
  return names.map((f) => ({ code: pairCode(f), read: () => readFile(path.join(dir, f)) }));
}

async function fluentArt(): Promise<ArtFile[]> {
  const dir = path.join(packageDir('@lobehub/fluent-emoji-flat'), 'assets');
  const names = (await readdir(dir)).filter((f) => f.endsWith('.svg')).sort();
  return names.map((f) => ({
    code: pairCode(f),
    read: async () =>
      // Trusted package art, rendered here at build time; a collection's SVGs never take this path.
      sharp(await readFile(path.join(dir, f)), { density: 300 })
        .resize(SVG_SIDE, SVG_SIDE, { fit: 'contain', background: { r: 0, g: 0, b: 0, alpha: 0 } })
        .png()
        .toBuffer(),
  }));
}

/** The codes both vendors draw, each vendor's first file for a code, in code order. */
export function pairByCode(a: readonly ArtFile[], b: readonly ArtFile[]): [ArtFile, ArtFile][] {
  const first = (files: readonly ArtFile[]) => {
    const byCode = new Map<string, ArtFile>();
    for (const f of files) if (!byCode.has(f.code)) byCode.set(f.code, f);
    return byCode;
  };
  const left = first(a);
  const right = first(b);
  return [...left.keys()]
    .filter((c) => right.has(c))
    .sort()
    .map((c) => [left.get(c)!, right.get(c)!]);
}

async function embedAll(files: ArtFile[], onnxPath: string, spec: ModelSpec): Promise<Float32Array[]> {
  const runner = await createOnnxModelRunner(onnxPath, spec);
  try {
    const out: Float32Array[] = [];
    for (let i = 0; i < files.length; i += BATCH) {
      const images = await Promise.all(
        files.slice(i, i + BATCH).map(async (f) => (await decodeImage(await f.read())).image),
      );
      out.push(...(await featurize(runner, spec, images)));
    }
    return out;
  } finally {
    await runner.release();
  }
}

/**
 * The model's style-pairs file (stylePairsFile.ts), built first when it is missing or was made from
 * another model file or recipe. About 25 s on 2 cores for the default model (2,686 images).
 */
export async function ensureStylePairs(
  model: { specPath: string; onnxPath: string; spec: ModelSpec },
  opts: { quiet?: boolean } = {},
): Promise<string> {
  const file = stylePairsFileFor(model.specPath);
  const modelSha256 = createHash('sha256')
    .update(await readFile(model.onnxPath))
    .digest('hex');
  const existing = await readStylePairs(file).catch(() => undefined);
  if (existing?.modelSha256 === modelSha256 && existing.recipe === STYLE_PAIRS_RECIPE) return file;
  const started = Date.now();
  if (!opts.quiet) console.log(`embedding style pairs for ${path.basename(model.onnxPath)}…`);
  const pairs = pairByCode(await messengerArt(), await fluentArt());
  // One session for both vendors' art: the first half of the embeddings are Messenger's, the rest Fluent's.
  const embedded = await embedAll(
    [...pairs.map(([x]) => x), ...pairs.map(([, y]) => y)],
    model.onnxPath,
    model.spec,
  );
  const a = embedded.slice(0, pairs.length);
  const b = embedded.slice(pairs.length);
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, encodeStylePairs(a, b, modelSha256, STYLE_PAIRS_RECIPE));
  await rename(tmp, file);
  if (!opts.quiet)
    console.log(`built ${path.basename(file)} (${pairs.length} pairs) in ${Date.now() - started} ms`);
  return file;
}
