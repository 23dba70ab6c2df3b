import { Command } from 'commander';
import { copyFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pLimit from 'p-limit';
import { buildIndex } from '../index-builder/buildIndex';
import { FolderSource } from '../index-builder/folderSource';
import { LABEL_FIELD } from '../index-builder/imageLabels';
import { META_FILE_NAME } from '../index-builder/imageSource';
import { loadModel } from '../index-builder/loadModel';
import { createProgressReporter } from '../index-builder/progressReporter';
import { addDataDirOption, pathOption } from '../storage/cliOptions';

/*
 * The demo collection: the 64 px PNGs that the emoji-datasource packages ship for three vendors, one
 * album per emoji category, skin-tone variations included. The same emoji drawn by Apple, Google and
 * Twitter makes a good visual-similarity test: lookalikes exist across albums and vendors. Each image's
 * metadata labels it with the emoji's code, and the index learns from those labels.
 */

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const VENDORS = ['apple', 'google', 'twitter'] as const;
type Vendor = (typeof VENDORS)[number];

interface EmojiImage {
  unified: string;
  image: string;
  has_img_apple?: boolean;
  has_img_google?: boolean;
  has_img_twitter?: boolean;
}

interface EmojiEntry extends EmojiImage {
  name: string | null;
  short_name: string;
  category: string;
  skin_variations?: Record<string, EmojiImage>;
}

interface DemoImage {
  /** Path under the images folder: `<Album>/<vendor>_<unified>.png`. */
  path: string;
  from: string;
  meta: Record<string, string>;
}

const require = createRequire(import.meta.url);

function packageDir(vendor: Vendor): string {
  const pkg = `emoji-datasource-${vendor}`;
  try {
    return dirname(require.resolve(`${pkg}/package.json`));
  } catch (err) {
    // The emoji packages are devDependencies: a production install (npm ci --omit=dev) runs every CLI
    // that builds or serves a collection, not the demo's assembly.
    throw new Error(
      `${pkg} is not installed: the demo's emoji come from development dependencies (run \`npm install\`, not \`npm ci --omit=dev\`)`,
      { cause: err },
    );
  }
}

/** Every image the three packages ship, with the metadata the catalog should carry. */
async function listDemoImages(): Promise<DemoImage[]> {
  const out: DemoImage[] = [];
  for (const vendor of VENDORS) {
    const dir = packageDir(vendor);
    const emoji = JSON.parse(await readFile(join(dir, 'emoji.json'), 'utf8')) as EmojiEntry[];
    const hasImage = (e: EmojiImage) => e[`has_img_${vendor}`] === true;
    for (const e of emoji) {
      const variants: EmojiImage[] = [e, ...Object.values(e.skin_variations ?? {})];
      for (const v of variants) {
        if (!hasImage(v)) continue;
        out.push({
          path: `${e.category}/${vendor}_${v.unified}.png`,
          from: join(dir, 'img', vendor, '64', v.image),
          meta: {
            vendor,
            // The emoji's code (a skin tone is a code of its own): what the three vendors' drawings of
            // one emoji share, so the builder learns from it (index-builder/imageLabels.ts).
            [LABEL_FIELD]: v.unified,
            name: (e.name ?? e.short_name).toLowerCase(),
            shortName: e.short_name,
          },
        });
      }
    }
  }
  return out;
}

async function sameSize(a: string, b: string): Promise<boolean> {
  const [sa, sb] = await Promise.all([stat(a), stat(b).catch(() => undefined)]);
  return sb !== undefined && sa.size === sb.size;
}

/** Copies the images that are missing; leaves present ones (and so their mtimes) alone. */
async function assembleDemoImages(
  imagesDir: string,
): Promise<{ total: number; copied: number; missing: string[] }> {
  const images = await listDemoImages();
  let copied = 0;
  const missing: string[] = [];
  const meta: Record<string, Record<string, string>> = {};
  // Thousands of small files: check and copy a few at a time rather than one by one.
  const limit = pLimit(16);
  await Promise.all(
    images.map((img) =>
      limit(async () => {
        const to = join(imagesDir, img.path);
        try {
          if (!(await sameSize(img.from, to))) {
            await mkdir(dirname(to), { recursive: true });
            await copyFile(img.from, to);
            copied++;
          }
          meta[img.path] = img.meta;
        } catch {
          // The packages' has_img flags are occasionally ahead of the shipped files.
          missing.push(img.from);
        }
      }),
    ),
  );
  const metaPath = join(imagesDir, META_FILE_NAME);
  // Sorted, so the file (and so the index fingerprint) does not depend on copy order.
  const sorted = Object.fromEntries(Object.entries(meta).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const metaText = `${JSON.stringify(sorted, null, 1)}\n`;
  // Rewriting an unchanged file would change its mtime and so force a rebuild of the index.
  if ((await readFile(metaPath, 'utf8').catch(() => '')) !== metaText) await writeFile(metaPath, metaText);
  return { total: images.length - missing.length, copied, missing };
}

async function main(argv: string[]): Promise<void> {
  const program = new Command('demo-data')
    .description('Assemble the emoji demo images and build their index')
    .option('--images <dir>', 'where the images go', pathOption, join(REPO_ROOT, 'generated', 'demo-images'));
  const dataDirOf = addDataDirOption(program, {
    description: 'data dir to build',
    oldName: '--out',
    defaultDir: join(REPO_ROOT, 'generated', 'demo-data'),
  });
  const opts = program
    .option('--force', 'rebuild the index even if nothing changed')
    .parse(argv)
    .opts<{ images: string; force?: boolean }>();
  const dataDir = dataDirOf();

  const started = performance.now();
  const { total, copied, missing } = await assembleDemoImages(opts.images);
  console.log(`demo images: ${total} in ${opts.images} (${copied} copied)`);
  if (missing.length > 0)
    console.log(`  ${missing.length} images listed by the packages are not shipped, e.g. ${missing[0]}`);

  const { upToDate, report } = await buildIndex({
    source: new FolderSource(opts.images),
    dataDir,
    model: await loadModel(),
    force: opts.force,
    progress: createProgressReporter('featurizing'),
  });
  if (upToDate) {
    console.log(`demo index up to date: ${dataDir} (${report.counts.indexed} images)`);
    return;
  }
  const { counts, bytes, timings } = report;
  console.log(
    `demo index: ${counts.indexed} images (${counts.featurized} featurized at ${report.featurizedPerSecond} images/s, ` +
      `${counts.cached} cached, ${counts.skipped} skipped) in ${dataDir}; ` +
      `index ${bytes.index} bytes = ${bytes.indexPerImage} bytes/image, catalog ${bytes.catalog} bytes; ` +
      `build ${(timings.totalMs / 1000).toFixed(1)} s, total ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
}

main(process.argv).catch((err: unknown) => {
  console.error(`demo-data: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
