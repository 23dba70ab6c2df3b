/**
 * Development sets for retrieval quality: `npm run dev-sets [-- --sets emoji,photos,textures] [--force]`.
 *
 * Writes generated/devsets/ (gitignored), deterministically, skipping sets whose stamp matches:
 *
 *  - photos/: the wallpapers of the Debian packages gnome-backgrounds and plasma-workspace-wallpapers
 *    (re-encoded to long side ≤ 1600 px, JPEG q92) plus distractors, and edited copies of every
 *    wallpaper made with index-builder/imageEdits.ts, one folder per edit;
 *  - textures/: five crops of every colobot-common-textures surface texture, with the package's
 *    sprite sheets and terrain maps cropped the same way as distractors;
 *  - emoji/: leave-one-vendor-out splits of the demo images (generated/demo-images, npm run demo-data);
 *  - emoji-facebook/: a fourth vendor's art (npm emoji-datasource-facebook, fetched with `npm pack`, not
 *    installed) querying the whole demo, as a user's own emoji would: a vendor no other set contains;
 *  - emoji-sources/: emoji art from outside emoji-datasource, framed differently (OpenMoji's margins,
 *    Fluent 3D renderings; npm, fetched the same way) querying the whole demo.
 *
 * Each set has a manifest.json (bench/devSetManifest.ts) that bench/devSetQuality.ts evaluates.
 * The packages are fetched with `apt-get download` (no install) into generated/devsets/debs/; without
 * apt the photos and textures sets are skipped with a message and the emoji sets are still made (without
 * the npm registry, emoji-facebook and emoji-sources are skipped the same way).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import sharp, { type Sharp } from 'sharp';
import pLimit from 'p-limit';
import { Command, InvalidArgumentError, Option } from 'commander';
import {
  DEV_SET_MANIFEST_VERSION,
  DEV_SET_NAMES,
  DEV_SETS_DIR,
  manifestPath,
  parseDevSetManifest,
  type DevSetManifest,
  type DevSetName,
  type DevSetQuery,
} from '../bench/devSetManifest';
import { encodeEdited, randomEdits, type ImageEdit } from '../index-builder/imageEdits';
import { decodeRgba, skinToneFacet } from '../models/research/emojiDataset';
import { UNSEEN_EDITS, applyUnseenEdit } from './unseenEdits';

const REPO_ROOT = path.resolve(import.meta.dirname, '..');
const DEMO_IMAGES = path.join(REPO_ROOT, 'generated', 'demo-images');

const PACKAGES = {
  gnome: 'gnome-backgrounds',
  plasma: 'plasma-workspace-wallpapers',
  colobot: 'colobot-common-textures',
} as const;

/** Bump to rebuild a set when the recipe changes. */
const RECIPE = {
  photos: 'photos-v2',
  'photos-unseen': 'photos-unseen-v1',
  textures: 'textures-v3',
  emoji: 'emoji-v2',
  'emoji-facebook': 'emoji-facebook-v2',
  'emoji-sources': 'emoji-sources-v2',
} as const;

const PHOTO_LONG_SIDE = 1600;
const PHOTO_QUALITY = 92;
const TEXTURE_MIN_SIDE = 128;
const TEXTURE_CROP_FRACTION = 0.45;
const TEXTURE_CROP_SIZE = 256;
/** A crop whose every channel varies less than this (0–255 std) is flat: its texture is dropped. */
const FLAT_CROP_STDEV = 3;

const IMAGE_EXT = /\.(png|jpe?g|webp)$/i;

const log = (m: string) => console.log(`[dev-sets] ${m}`);

function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A uint32 seed from a name: stable across runs and independent of the other names. */
function seedOf(name: string): number {
  return Number.parseInt(sha256(`devsets:${name}`).slice(0, 8), 16);
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function walkFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const d of readdirSync(dir, { withFileTypes: true }).sort((a, b) => byName(a.name, b.name))) {
    const p = path.join(dir, d.name);
    if (d.isDirectory()) out.push(...walkFiles(p));
    else if (d.isFile()) out.push(p);
  }
  return out;
}

// ---------------------------------------------------------------- stamps

function stampFile(set: DevSetName): string {
  return path.join(DEV_SETS_DIR, set, '.stamp.json');
}

function upToDate(set: DevSetName, inputs: string): boolean {
  try {
    const s = JSON.parse(readFileSync(stampFile(set), 'utf8')) as { recipe: string; inputs: string };
    return s.recipe === RECIPE[set] && s.inputs === inputs && existsSync(manifestPath(DEV_SETS_DIR, set));
  } catch {
    return false;
  }
}

function writeManifestAndStamp(m: DevSetManifest, inputs: string): void {
  parseDevSetManifest(m, `${m.set} (about to be written)`);
  writeFileSync(manifestPath(DEV_SETS_DIR, m.set), `${JSON.stringify(m, null, 1)}\n`);
  writeFileSync(stampFile(m.set), `${JSON.stringify({ recipe: RECIPE[m.set], inputs }, null, 1)}\n`);
}

/**
 * The set's folder, emptied and ready to be written; undefined (said) when the set is up to date with
 * these inputs and not forced.
 */
function freshSetDir(set: DevSetName, inputs: string, force: boolean): string | undefined {
  if (!force && upToDate(set, inputs)) {
    log(`${set}: up to date`);
    return undefined;
  }
  const root = path.join(DEV_SETS_DIR, set);
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  return root;
}

// ---------------------------------------------------------------- Debian packages

const DEBS_DIR = path.join(DEV_SETS_DIR, 'debs');

function run(cmd: string, args: string[], cwd: string): { ok: boolean; output: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`.trim();
  return { ok: r.status === 0, output };
}

function findDeb(pkg: string): string | undefined {
  if (!existsSync(DEBS_DIR)) return undefined;
  const f = readdirSync(DEBS_DIR)
    .filter((n) => n.startsWith(`${pkg}_`) && n.endsWith('.deb'))
    .sort(byName);
  return f.length > 0 ? path.join(DEBS_DIR, f[f.length - 1]) : undefined;
}

/**
 * The extracted package folder, downloading and extracting it when missing; undefined (with a
 * message saying why) when apt or dpkg-deb is unavailable or fails.
 */
function debianPackage(pkg: string): { dir: string; deb: string } | undefined {
  mkdirSync(DEBS_DIR, { recursive: true });
  let deb = findDeb(pkg);
  if (deb === undefined) {
    log(`apt-get download ${pkg}`);
    let r = run('apt-get', ['download', pkg], DEBS_DIR);
    if (!r.ok) {
      log(`  failed (${lastLine(r.output)}); running apt-get update and retrying`);
      const u = run('apt-get', ['update'], DEBS_DIR);
      if (!u.ok) log(`  apt-get update failed: ${lastLine(u.output)}`);
      r = run('apt-get', ['download', pkg], DEBS_DIR);
    }
    deb = findDeb(pkg);
    if (!r.ok || deb === undefined) {
      log(`APT UNAVAILABLE: could not download ${pkg}: ${lastLine(r.output)}`);
      return undefined;
    }
  }
  const dir = path.join(DEBS_DIR, pkg);
  const stamp = path.join(dir, '.extracted');
  const debName = path.basename(deb);
  if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== debName) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const x = run('dpkg-deb', ['-x', deb, dir], DEBS_DIR);
    if (!x.ok) {
      log(`DPKG-DEB FAILED on ${debName}: ${lastLine(x.output)}`);
      return undefined;
    }
    writeFileSync(stamp, debName);
  }
  return { dir, deb: debName };
}

function lastLine(s: string): string {
  const lines = s.split('\n').filter((l) => l.trim() !== '');
  return lines.length > 0 ? lines[lines.length - 1] : 'no output';
}

// ---------------------------------------------------------------- photos

interface PhotoSource {
  /** Unique over all originals; the query files are named after it. */
  name: string;
  album: 'gnome' | 'plasma';
  file: string;
}

/** gnome: every raster background (SVG/XML skipped); -l and -d (light/dark) are separate originals. */
function gnomeSources(dir: string): PhotoSource[] {
  const bg = path.join(dir, 'usr', 'share', 'backgrounds');
  return walkFiles(bg)
    .filter((f) => IMAGE_EXT.test(f))
    .map((file) => ({ name: path.basename(file).replace(IMAGE_EXT, ''), album: 'gnome' as const, file }));
}

/**
 * plasma: one original per wallpaper and variant (images/ and images_dark/): the largest landscape
 * rendition. The other renditions (portrait crops, smaller sizes) and screenshot previews are the
 * same picture and would make "the original" ambiguous, so they are left out.
 */
async function plasmaSources(dir: string): Promise<PhotoSource[]> {
  const root = path.join(dir, 'usr', 'share', 'wallpapers');
  if (!existsSync(root)) return [];
  const out: PhotoSource[] = [];
  for (const wallpaper of readdirSync(root).sort(byName)) {
    for (const [variant, suffix] of [
      ['images', ''],
      ['images_dark', '-dark'],
    ] as const) {
      const files = walkFiles(path.join(root, wallpaper, 'contents', variant)).filter((f) =>
        IMAGE_EXT.test(f),
      );
      if (files.length === 0) continue;
      const sized = await Promise.all(
        files.map(async (file) => {
          const m = await sharp(file).metadata();
          return { file, w: m.width ?? 0, h: m.height ?? 0 };
        }),
      );
      sized.sort(
        (a, b) => Number(b.w >= b.h) - Number(a.w >= a.h) || b.w * b.h - a.w * a.h || byName(a.file, b.file),
      );
      out.push({ name: `${wallpaper}${suffix}`, album: 'plasma', file: sized[0].file });
    }
  }
  return out;
}

/** The edits of the photo set: name → edit chain (crop50's corner and random's chain depend on the image). */
export function photoEdits(name: string): Record<string, ImageEdit[]> {
  const corners = [
    [0.3, 0.3],
    [0.7, 0.3],
    [0.3, 0.7],
    [0.7, 0.7],
  ];
  const [cx, cy] = corners[seedOf(`crop50:${name}`) % corners.length];
  return {
    crop90: [{ kind: 'crop', area: 0.9, cx: 0.5, cy: 0.5 }],
    rotate5: [{ kind: 'rotate', degrees: 5 }],
    crop50: [{ kind: 'crop', area: 0.5, cx, cy }],
    resize200: [{ kind: 'resize', longSide: 200 }],
    jpeg10: [{ kind: 'jpeg', quality: 10 }],
    dark30: [{ kind: 'colour', brightness: 0.7, contrast: 1, saturation: 1 }],
    desat: [{ kind: 'colour', brightness: 1, contrast: 1, saturation: 0.5 }],
    grey: [{ kind: 'greyscale' }],
    harsh: [
      { kind: 'colour', brightness: 0.7, contrast: 1, saturation: 0.6 },
      { kind: 'resize', longSide: 200 },
      { kind: 'jpeg', quality: 15 },
    ],
    random: randomEdits(seedOf(`random:${name}`)),
  };
}

async function reencodePhoto(from: string, to: string): Promise<void> {
  const bytes = await sharp(from, { limitInputPixels: false })
    .autoOrient()
    .resize(PHOTO_LONG_SIDE, PHOTO_LONG_SIDE, { fit: 'inside', withoutEnlargement: true })
    .flatten({ background: '#ffffff' })
    .toColourspace('srgb')
    .jpeg({ quality: PHOTO_QUALITY })
    .toBuffer();
  mkdirSync(path.dirname(to), { recursive: true });
  writeFileSync(to, bytes);
}

/** Keeps the first file of each content hash (sources are in a fixed order). */
function dedupeByHash<T extends { file: string }>(items: T[], what: string): T[] {
  const seen = new Map<string, string>();
  return items.filter((it) => {
    const h = sha256(readFileSync(it.file));
    const first = seen.get(h);
    if (first !== undefined) {
      log(`  ${what}: ${path.basename(it.file)} is identical to ${path.basename(first)}; skipped`);
      return false;
    }
    seen.set(h, it.file);
    return true;
  });
}

async function buildPhotos(force: boolean): Promise<void> {
  const gnome = debianPackage(PACKAGES.gnome);
  const plasma = debianPackage(PACKAGES.plasma);
  const colobot = debianPackage(PACKAGES.colobot);
  if (!gnome && !plasma) {
    log('photos: SKIPPED, neither wallpaper package is available (see the apt message above)');
    return;
  }
  const inputs = [gnome?.deb, plasma?.deb, colobot?.deb].join(' ');
  const root = freshSetDir('photos', inputs, force);
  if (root === undefined) return;

  const sources = dedupeByHash(
    [...(gnome ? gnomeSources(gnome.dir) : []), ...(plasma ? await plasmaSources(plasma.dir) : [])],
    'photos',
  );
  const names = new Set<string>();
  for (const s of sources) {
    if (names.has(s.name)) throw new Error(`two originals are both named ${s.name}`);
    names.add(s.name);
  }
  log(
    `photos: ${sources.length} originals (${gnome ? '' : 'no gnome, '}${plasma ? '' : 'no plasma, '}re-encoding)`,
  );

  // Distractors: the colobot textures as photos (terrain, sky, water, rock, …: the kind of
  // images a photo collection also holds) and gnome's SVG wallpapers rasterised (same style as the
  // originals, but none of them is an edit of one).
  const distractors: { name: string; file: string; svg: boolean }[] = [];
  if (colobot) {
    for (const t of textureSources(colobot.dir))
      distractors.push({ name: `texture-${t.name}`, file: t.file, svg: false });
  }
  if (gnome) {
    for (const f of walkFiles(path.join(gnome.dir, 'usr', 'share', 'backgrounds')).filter((f) =>
      f.endsWith('.svg'),
    ))
      distractors.push({ name: `svg-${path.basename(f, '.svg')}`, file: f, svg: true });
  }

  const limit = pLimit(2);
  const labels: Record<string, string> = {};
  await Promise.all(
    sources.map((s) =>
      limit(async () => {
        const rel = `${s.album}/${s.name}.jpg`;
        await reencodePhoto(s.file, path.join(root, 'gallery', rel));
        labels[rel] = s.name;
      }),
    ),
  );
  let distractorCount = 0;
  await Promise.all(
    distractors.map((d) =>
      limit(async () => {
        try {
          if (d.svg) {
            // Rendered at a density that gives about 1600 px on the long side, then re-encoded.
            const m = await sharp(d.file).metadata();
            const long = Math.max(m.width ?? 1, m.height ?? 1);
            const png = await sharp(d.file, { density: Math.min(2400, (72 * PHOTO_LONG_SIDE) / long) })
              .png()
              .toBuffer();
            const tmp = path.join(root, `.${d.name}.png`);
            writeFileSync(tmp, png);
            await reencodePhoto(tmp, path.join(root, 'gallery', 'distractors', `${d.name}.jpg`));
            rmSync(tmp);
          } else {
            await reencodePhoto(d.file, path.join(root, 'gallery', 'distractors', `${d.name}.jpg`));
          }
          distractorCount++;
        } catch (err) {
          log(`  distractor ${d.name} skipped: ${(err as Error).message.split('\n')[0]}`);
        }
      }),
    ),
  );

  // Queries: every edit of every original, made from the re-encoded original (what the gallery holds).
  const queries: DevSetQuery[] = [];
  let done = 0;
  await Promise.all(
    sources.map((s) =>
      limit(async () => {
        const image = await decodeRgba(path.join(root, 'gallery', s.album, `${s.name}.jpg`));
        for (const [edit, chain] of Object.entries(photoEdits(s.name))) {
          const bytes = await encodeEdited(image, chain);
          const ext = chain.some((e) => e.kind === 'jpeg') ? 'jpg' : 'png';
          const rel = `photos/queries/${edit}/${s.name}.${ext}`;
          mkdirSync(path.dirname(path.join(DEV_SETS_DIR, rel)), { recursive: true });
          writeFileSync(path.join(DEV_SETS_DIR, rel), bytes);
          queries.push({ file: rel, label: s.name, group: edit });
        }
        if (++done % 10 === 0) log(`  photos: edited ${done}/${sources.length}`);
      }),
    ),
  );
  queries.sort((a, b) => byName(a.group, b.group) || byName(a.file!, b.file!));
  const sortedLabels = Object.fromEntries(Object.entries(labels).sort(([a], [b]) => byName(a, b)));
  writeManifestAndStamp(
    {
      version: DEV_SET_MANIFEST_VERSION,
      set: 'photos',
      description:
        `${sources.length} wallpapers (gnome-backgrounds, plasma-workspace-wallpapers; light/dark variants kept; ` +
        `long side ≤ ${PHOTO_LONG_SIDE}, JPEG q${PHOTO_QUALITY}) + ${distractorCount} distractors ` +
        `(colobot textures and gnome's SVG wallpapers, re-encoded the same way); ${queries.length} queries = ` +
        `${Object.keys(photoEdits('')).length} edits of each wallpaper (${Object.keys(photoEdits('')).join(', ')}).`,
      splits: [{ name: 'photos', gallery: 'photos/gallery', labels: sortedLabels, queries }],
    },
    inputs,
  );
  log(`photos: ${sources.length} originals + ${distractorCount} distractors, ${queries.length} queries`);
}

// ---------------------------------------------------------------- photos-unseen

/**
 * The photos set's gallery (originals and distractors, not copied), queried by edits the builder's
 * views never make (scripts/unseenEdits.ts), each made from the original as the gallery holds it.
 */
async function buildPhotosUnseen(force: boolean): Promise<void> {
  const photosManifest = manifestPath(DEV_SETS_DIR, 'photos');
  if (!existsSync(photosManifest)) {
    log('photos-unseen: SKIPPED, the photos set is missing (it needs apt; see above)');
    return;
  }
  const photos = parseDevSetManifest(JSON.parse(readFileSync(photosManifest, 'utf8')), photosManifest);
  const inputs = sha256(readFileSync(photosManifest));
  const root = freshSetDir('photos-unseen', inputs, force);
  if (root === undefined) return;
  const [split] = photos.splits;
  const originals = Object.entries(split.labels).sort(([a], [b]) => byName(a, b));
  const limit = pLimit(2);
  const queries: DevSetQuery[] = [];
  await Promise.all(
    originals.map(([key, label]) =>
      limit(async () => {
        const image = await decodeRgba(path.join(DEV_SETS_DIR, split.gallery, key));
        for (const edit of UNSEEN_EDITS) {
          const rel = `photos-unseen/queries/${edit}/${label}.jpg`;
          mkdirSync(path.dirname(path.join(DEV_SETS_DIR, rel)), { recursive: true });
          writeFileSync(
            path.join(DEV_SETS_DIR, rel),
            await applyUnseenEdit(image, edit, seedOf(`${edit}:${label}`)),
          );
          queries.push({ file: rel, label, group: edit });
        }
      }),
    ),
  );
  queries.sort((a, b) => byName(a.group, b.group) || byName(a.file!, b.file!));
  writeManifestAndStamp(
    {
      version: DEV_SET_MANIFEST_VERSION,
      set: 'photos-unseen',
      description:
        `the photos set's gallery (${originals.length} wallpapers + distractors); ${queries.length} queries = ` +
        `${UNSEEN_EDITS.length} edits the builder's views never make (${UNSEEN_EDITS.join(', ')}) of each wallpaper.`,
      splits: [{ name: 'photos-unseen', gallery: split.gallery, labels: split.labels, queries }],
    },
    inputs,
  );
  log(`photos-unseen: ${queries.length} queries over the photos gallery`);
}

// ---------------------------------------------------------------- textures

interface TextureSource {
  name: string;
  file: string;
}

/**
 * colobot's images that are not one texture, by their name: the sub-folders (`objects/`: 3D models'
 * UV atlases, `interface/`: UI sprite sheets, `planets/`: rendered globes), the top-level sprite
 * sheets (`effect*`, `lens*`, `planet*`: a sheet of different pictures), and the terrain maps
 * (`relief*` heightmaps and `res*` resource maps: game data drawn as grey images, and each `res*` is a
 * `relief*` with markers, so two names for nearly one picture). Crops of one of these are different
 * pictures, or another name's copy: as labelled queries they were wrong answers half the time for any
 * embedding (P@4 0.53 with the colour histogram, 0.54 with the shipped model). They stay in the
 * gallery as distractors, never as a match.
 */
const NOT_A_TEXTURE = /(^|-)(objects|interface|planets)-|(^|-)(effect|lens|planet|relief|res)(\d|a[es]$)/;

export function isSurfaceTexture(name: string): boolean {
  return !NOT_A_TEXTURE.test(name);
}

/**
 * Textures the package ships as several files that are one texture, labelled as one (by looking at
 * them): crops of one are the same texture to a person, and counting them as different made right
 * answers wrong for every embedding.
 */
const SAME_TEXTURE: Record<string, string> = {
  // Eight tiles of one Mars surface map: their edges continue into each other.
  ...Object.fromEntries([1, 2, 3, 4, 5, 6, 7, 8].map((i) => [`mars00${i}`, 'mars-map'])),
  // One sand texture: desert6 is desert4 with road markings painted on, desert5 a retouch.
  desert4: 'desert',
  desert5: 'desert',
  desert6: 'desert',
  // One plaster texture: dirty09 is dirty06 with a shadow over it.
  dirty06: 'dirty06',
  dirty09: 'dirty06',
};

/** The label a texture's crops are matched by. */
export function textureLabel(name: string): string {
  return SAME_TEXTURE[name] ?? name;
}

/**
 * colobot textures (PNG/JPG): the main set, plus a mod's textures unless the main set has one of the
 * same name (the mod's are redrawn versions of those, too alike to count as different textures).
 */
function textureSources(dir: string): TextureSource[] {
  const base = path.join(dir, 'usr', 'share', 'games', 'colobot');
  const main = path.join(base, 'textures');
  const rel = (root: string, f: string) => path.relative(root, f).replace(IMAGE_EXT, '');
  const out: TextureSource[] = walkFiles(main)
    .filter((f) => IMAGE_EXT.test(f))
    .map((f) => ({ name: rel(main, f).replaceAll('/', '-'), file: f }));
  const mainNames = new Set(out.map((t) => t.name));
  const mods = path.join(base, 'mods');
  for (const mod of existsSync(mods) ? readdirSync(mods).sort(byName) : []) {
    const root = path.join(mods, mod, 'textures');
    for (const f of walkFiles(root).filter((f) => IMAGE_EXT.test(f))) {
      const name = rel(root, f).replaceAll('/', '-');
      if (!mainNames.has(name)) out.push({ name: `${mod}-${name}`, file: f });
    }
  }
  return out;
}

async function buildTextures(force: boolean): Promise<void> {
  const colobot = debianPackage(PACKAGES.colobot);
  if (!colobot) {
    log('textures: SKIPPED, colobot-common-textures is not available (see the apt message above)');
    return;
  }
  const inputs = colobot.deb;
  const root = freshSetDir('textures', inputs, force);
  if (root === undefined) return;
  const sources = dedupeByHash(textureSources(colobot.dir), 'textures');
  const labels: Record<string, string> = {};
  const queries: DevSetQuery[] = [];
  let small = 0;
  let flat = 0;
  const centres = [
    [0.25, 0.25],
    [0.75, 0.25],
    [0.25, 0.75],
    [0.75, 0.75],
    [0.5, 0.5],
  ];
  const limit = pLimit(2);
  const kept = await Promise.all(
    sources.map((t) =>
      limit(async () => {
        const m = await sharp(t.file).metadata();
        const w = m.width ?? 0;
        const h = m.height ?? 0;
        if (Math.min(w, h) < TEXTURE_MIN_SIDE) {
          small++;
          return undefined;
        }
        const side = Math.round(TEXTURE_CROP_FRACTION * Math.min(w, h));
        const crops: Buffer[] = [];
        for (const [cx, cy] of centres) {
          const left = Math.min(w - side, Math.max(0, Math.round(cx * w - side / 2)));
          const top = Math.min(h - side, Math.max(0, Math.round(cy * h - side / 2)));
          const img = sharp(t.file)
            .extract({ left, top, width: side, height: side })
            .flatten({ background: '#ffffff' })
            .toColourspace('srgb')
            .resize(TEXTURE_CROP_SIZE, TEXTURE_CROP_SIZE, { fit: 'fill' });
          const png = await img.png().toBuffer();
          const stats = await sharp(png).stats();
          if (stats.channels.slice(0, 3).every((c) => c.stdev < FLAT_CROP_STDEV)) {
            flat++;
            return undefined;
          }
          crops.push(png);
        }
        return { t, crops };
      }),
    ),
  );
  let textures = 0;
  let distractors = 0;
  for (const k of kept) {
    if (!k) continue;
    const texture = isSurfaceTexture(k.t.name);
    if (texture) textures++;
    else distractors++;
    k.crops.forEach((png, i) => {
      const key = `${k.t.name}/crop${i}.png`;
      const file = path.join(root, 'gallery', key);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, png);
      if (!texture) return;
      labels[key] = textureLabel(k.t.name);
      queries.push({ key, label: textureLabel(k.t.name), group: 'crop' });
    });
  }
  writeManifestAndStamp(
    {
      version: DEV_SET_MANIFEST_VERSION,
      set: 'textures',
      description:
        `${textures} colobot-common-textures textures (${new Set(Object.values(labels)).size} labels: tiles and retouches of ` +
        `one texture share one) × ${centres.length} crops (square, ${TEXTURE_CROP_FRACTION} of the ` +
        `short side, four quadrants + centre, resized to ${TEXTURE_CROP_SIZE} px) + the same crops of the package's ` +
        `${distractors} sprite sheets, UV atlases and terrain maps as distractors; ${small} images under ` +
        `${TEXTURE_MIN_SIDE} px and ${flat} with a flat crop left out. Each texture crop queries by id.`,
      splits: [{ name: 'textures', gallery: 'textures/gallery', labels, queries }],
    },
    inputs,
  );
  log(
    `textures: ${textures} textures, ${queries.length} crops, ${distractors} distractor images (${small} too small, ${flat} with a flat crop)`,
  );
}

// ---------------------------------------------------------------- emoji

const VENDORS = ['apple', 'google', 'twitter'] as const;

/** `<vendor>_<unified>.png` → vendor and unified (skin-tone suffix kept: the same label as qualityBench). */
export function parseEmojiFileName(name: string): { vendor: string; unified: string } | undefined {
  const m = /^([a-z]+)_([0-9A-Fa-f-]+)\.png$/.exec(name);
  return m ? { vendor: m[1], unified: m[2] } : undefined;
}

function linkOrCopy(from: string, to: string): void {
  mkdirSync(path.dirname(to), { recursive: true });
  try {
    linkSync(from, to);
  } catch {
    copyFileSync(from, to);
  }
}

/** The demo's images (generated/demo-images/<album>/<vendor>_<unified>.png) with vendor and code. */
function demoEmoji() {
  return walkFiles(DEMO_IMAGES)
    .map((file) => {
      const rel = path.relative(DEMO_IMAGES, file).split(path.sep);
      const parsed = rel.length === 2 ? parseEmojiFileName(rel[1]) : undefined;
      return parsed && { file, album: rel[0], name: rel[1], ...parsed };
    })
    .filter((x) => x !== undefined);
}

function buildEmoji(force: boolean): void {
  if (!existsSync(DEMO_IMAGES)) {
    log(`emoji: SKIPPED, ${DEMO_IMAGES} is missing: run npm run demo-data first`);
    return;
  }
  const images = demoEmoji();
  const inputs = sha256(images.map((i) => `${i.album}/${i.name}:${statSync(i.file).size}`).join('\n'));
  const root = freshSetDir('emoji', inputs, force);
  if (root === undefined) return;
  const splits = VENDORS.map((held) => {
    const labels: Record<string, string> = {};
    const queries: DevSetQuery[] = [];
    for (const im of images) {
      if (im.vendor === held) {
        const rel = `emoji/${held}/queries/${im.album}/${im.name}`;
        linkOrCopy(im.file, path.join(DEV_SETS_DIR, rel));
        queries.push({ file: rel, label: im.unified, group: held, facet: skinToneFacet(im.unified) });
      } else {
        linkOrCopy(im.file, path.join(root, held, 'gallery', im.album, im.name));
        labels[`${im.album}/${im.name}`] = im.unified;
      }
    }
    return { name: held, gallery: `emoji/${held}/gallery`, labels, queries };
  });
  writeManifestAndStamp(
    {
      version: DEV_SET_MANIFEST_VERSION,
      set: 'emoji',
      description:
        `${images.length} demo emoji images (generated/demo-images); each vendor in turn is held out: its images ` +
        'query a gallery of the other two vendors; a match is the same `unified` code (skin tones distinct).',
      splits,
    },
    inputs,
  );
  log(
    `emoji: ${images.length} images, ${splits.map((s) => `${s.name} ${s.queries.length} queries`).join(', ')}`,
  );
}

// ---------------------------------------------------------------- emoji-facebook

/** A vendor the demo does not hold; pinned, so the set is the same on every machine. */
const FACEBOOK_PACKAGE = 'emoji-datasource-facebook@16.0.0';
const NPM_DIR = path.join(DEV_SETS_DIR, 'npm');

/**
 * `paths` of an npm package (`name@version`), fetched with `npm pack` (the registry is this machine's
 * only network, and nothing is installed) and extracted once into generated/devsets/npm/; returns the
 * extracted `package/` folder and the tarball's name, or undefined (with a message saying why).
 */
function npmPackage(spec: string, paths: string[]): { dir: string; tgz: string } | undefined {
  mkdirSync(NPM_DIR, { recursive: true });
  // npm pack names `@scope/name@1.0.0` scope-name-1.0.0.tgz.
  const tgzName = `${spec.replace(/^@/, '').replace('/', '-').replace('@', '-')}.tgz`;
  const tgz = path.join(NPM_DIR, tgzName);
  if (!existsSync(tgz)) {
    log(`npm pack ${spec}`);
    const r = run('npm', ['pack', spec, '--silent', '--pack-destination', NPM_DIR], NPM_DIR);
    if (!r.ok || !existsSync(tgz)) {
      log(`NPM REGISTRY UNAVAILABLE: could not fetch ${spec}: ${lastLine(r.output)}`);
      return undefined;
    }
  }
  const dir = path.join(NPM_DIR, tgzName.replace(/\.tgz$/, ''));
  const stamp = path.join(dir, '.extracted');
  const want = `${tgzName}\n${paths.join('\n')}`;
  if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== want) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const x = run('tar', ['xzf', tgz, '-C', dir, ...paths.map((p) => `package/${p}`)], NPM_DIR);
    if (!x.ok) {
      log(`TAR FAILED on ${tgzName}: ${lastLine(x.output)}`);
      return undefined;
    }
    writeFileSync(stamp, want);
  }
  return { dir: path.join(dir, 'package'), tgz: tgzName };
}

/** Facebook's 64 px images and emoji.json (emoji-datasource's layout). */
function facebookPackage(): { imageDir: string; emojiJson: string; tgz: string } | undefined {
  const pkg = npmPackage(FACEBOOK_PACKAGE, ['emoji.json', 'img/facebook/64']);
  return (
    pkg && {
      imageDir: path.join(pkg.dir, 'img', 'facebook', '64'),
      emojiJson: path.join(pkg.dir, 'emoji.json'),
      tgz: pkg.tgz,
    }
  );
}

interface EmojiRecord {
  unified: string;
  image: string;
  skin_variations?: Record<string, { unified: string; image: string }>;
}

/** Image file name → `unified` code, skin-tone variations included (file names are not always the code). */
export function unifiedByImage(records: EmojiRecord[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of records) {
    out.set(e.image, e.unified);
    for (const v of Object.values(e.skin_variations ?? {})) out.set(v.image, v.unified);
  }
  return out;
}

function buildEmojiFacebook(force: boolean): void {
  if (!existsSync(DEMO_IMAGES)) {
    log(`emoji-facebook: SKIPPED, ${DEMO_IMAGES} is missing: run npm run demo-data first`);
    return;
  }
  const fb = facebookPackage();
  if (fb === undefined) {
    log('emoji-facebook: SKIPPED (the package could not be fetched)');
    return;
  }
  const demo = demoEmoji();
  const inputs = sha256(
    [fb.tgz, ...demo.map((i) => `${i.album}/${i.name}:${statSync(i.file).size}`)].join('\n'),
  );
  const root = freshSetDir('emoji-facebook', inputs, force);
  if (root === undefined) return;
  const labels: Record<string, string> = {};
  for (const im of demo) {
    linkOrCopy(im.file, path.join(root, 'gallery', im.album, im.name));
    labels[`${im.album}/${im.name}`] = im.unified;
  }
  const held = new Set(Object.values(labels));
  const unified = unifiedByImage(JSON.parse(readFileSync(fb.emojiJson, 'utf8')) as EmojiRecord[]);
  const queries: DevSetQuery[] = [];
  let notInDemo = 0;
  for (const name of readdirSync(fb.imageDir).sort(byName)) {
    const code = unified.get(name);
    if (code === undefined || !held.has(code)) {
      notInDemo++;
      continue;
    }
    const rel = `emoji-facebook/queries/facebook_${code}.png`;
    linkOrCopy(path.join(fb.imageDir, name), path.join(DEV_SETS_DIR, rel));
    queries.push({ file: rel, label: code, group: 'facebook', facet: skinToneFacet(code) });
  }
  writeManifestAndStamp(
    {
      version: DEV_SET_MANIFEST_VERSION,
      set: 'emoji-facebook',
      description:
        `Facebook's 64 px art (npm ${FACEBOOK_PACKAGE}, a vendor the demo and the emoji set do not hold): ` +
        `each image whose \`unified\` code the demo holds queries all ${demo.length} demo images, as a user's own ` +
        'emoji would; a match is the same code (skin tones distinct).',
      splits: [{ name: 'emoji-facebook', gallery: 'emoji-facebook/gallery', labels, queries }],
    },
    inputs,
  );
  log(
    `emoji-facebook: ${queries.length} queries (${notInDemo} images the demo does not hold), gallery ${demo.length}`,
  );
}

// ---------------------------------------------------------------- emoji-sources

/**
 * Emoji art from outside emoji-datasource, drawn and framed by other hands: OpenMoji's colour SVGs
 * (CC-BY-SA-4.0; rendered at 72 px, the size OpenMoji exports PNGs at; the artwork sits inside a margin
 * of about a tenth of the side) and Microsoft's Fluent 3D renderings (MIT; 256 px WebP). Used only to
 * measure, never shipped.
 */
/** OpenMoji's colour SVGs, rendered once at 72 px (a drawing has no pixels of its own) and saved by `save`. */
function openMoji(group: string, ext: string, save: (rendered: Sharp) => Sharp) {
  return {
    group,
    spec: 'openmoji@17.0.0',
    folder: 'color/svg',
    ext: '.svg',
    write: (from: string, to: string) =>
      save(sharp(from, { density: 72 }).resize(72, 72))
        .toFile(`${to}.${ext}`)
        .then(() => `${to}.${ext}`),
  };
}

const EMOJI_SOURCES = [
  // As a user would save it.
  openMoji('openmoji', 'png', (r) => r.png()),
  // The same drawings saved without transparency, as a screenshot or a chat app's JPEG has them: on
  // white, an opaque margin (docs/model.md#framing-the-subject).
  openMoji('openmoji-jpeg', 'jpg', (r) => r.flatten({ background: '#ffffff' }).jpeg({ quality: 90 })),
  {
    group: 'fluent-3d',
    spec: '@lobehub/fluent-emoji-3d@1.1.0',
    folder: 'assets',
    ext: '.webp',
    write: (from: string, to: string) => {
      linkOrCopy(from, `${to}.webp`);
      return Promise.resolve(`${to}.webp`);
    },
  },
] as const;

/** A code point sequence compared without variation selectors (FE0F), upper case: `1f3f3-fe0f` → `1F3F3`. */
function bareCode(code: string): string {
  return code
    .toUpperCase()
    .split('-')
    .filter((p) => p !== 'FE0F')
    .join('-');
}

async function buildEmojiSources(force: boolean): Promise<void> {
  if (!existsSync(DEMO_IMAGES)) {
    log(`emoji-sources: SKIPPED, ${DEMO_IMAGES} is missing: run npm run demo-data first`);
    return;
  }
  const packages = EMOJI_SOURCES.map((src) => ({ src, pkg: npmPackage(src.spec, [src.folder]) }));
  const missing = packages.filter((p) => p.pkg === undefined);
  if (missing.length > 0) {
    log(`emoji-sources: SKIPPED (${missing.map((p) => p.src.spec).join(', ')} could not be fetched)`);
    return;
  }
  const demo = demoEmoji();
  const inputs = sha256(
    [
      ...packages.map((p) => p.pkg!.tgz),
      ...demo.map((i) => `${i.album}/${i.name}:${statSync(i.file).size}`),
    ].join('\n'),
  );
  const root = freshSetDir('emoji-sources', inputs, force);
  if (root === undefined) return;
  const labels: Record<string, string> = {};
  const demoCode = new Map<string, string>();
  for (const im of demo) {
    linkOrCopy(im.file, path.join(root, 'gallery', im.album, im.name));
    labels[`${im.album}/${im.name}`] = im.unified;
    demoCode.set(bareCode(im.unified), im.unified);
  }
  const queries: DevSetQuery[] = [];
  const limit = pLimit(4);
  for (const { src, pkg } of packages) {
    const dir = path.join(pkg!.dir, src.folder);
    const names = readdirSync(dir)
      .filter((n) => n.endsWith(src.ext))
      .sort(byName);
    // One query per emoji and source: a source may name one emoji with and without FE0F.
    const seen = new Set<string>();
    const held = names.flatMap((n) => {
      const code = demoCode.get(bareCode(n.slice(0, -src.ext.length)));
      if (code === undefined || seen.has(code)) return [];
      seen.add(code);
      return [{ n, code }];
    });
    mkdirSync(path.join(root, 'queries'), { recursive: true });
    const files = await Promise.all(
      held.map(({ n, code }) =>
        limit(() => src.write(path.join(dir, n), path.join(root, 'queries', `${src.group}_${code}`))),
      ),
    );
    held.forEach(({ code }, i) =>
      queries.push({
        file: path.relative(DEV_SETS_DIR, files[i]),
        label: code,
        group: src.group,
        facet: skinToneFacet(code),
      }),
    );
    log(`emoji-sources: ${src.group}: ${held.length} of ${names.length} images hold an emoji the demo holds`);
  }
  writeManifestAndStamp(
    {
      version: DEV_SET_MANIFEST_VERSION,
      set: 'emoji-sources',
      description:
        `Emoji art from outside emoji-datasource (npm ${EMOJI_SOURCES.map((s) => s.spec).join(', ')}; ` +
        'OpenMoji rendered at 72 px, its artwork inside a margin, as PNG and flattened on white as JPEG; ' +
        'Fluent 3D as 256 px WebP): each image whose ' +
        `code (variation selectors aside) the demo holds queries all ${demo.length} demo images; a match is ` +
        'the same code (skin tones distinct).',
      splits: [{ name: 'emoji-sources', gallery: 'emoji-sources/gallery', labels, queries }],
    },
    inputs,
  );
}

// ---------------------------------------------------------------- main

/** `--sets`: comma-separated names of DEV_SET_NAMES. */
function setList(value: string): DevSetName[] {
  const sets = value.split(',') as DevSetName[];
  for (const s of sets)
    if (!DEV_SET_NAMES.includes(s))
      throw new InvalidArgumentError(`unknown set ${s} (sets: ${DEV_SET_NAMES.join(', ')})`);
  return sets;
}

/** The command line (the arguments after the script), read before any set is made. */
function parseArgs(argv: string[]): { sets: DevSetName[]; force: boolean } {
  const o = new Command('dev-sets')
    .description(`Write the development sets for retrieval quality into ${DEV_SETS_DIR}`)
    .addOption(
      new Option('--sets <names>', `comma-separated sets to make (${DEV_SET_NAMES.join(', ')})`)
        .argParser(setList)
        .default([...DEV_SET_NAMES], 'all'),
    )
    .option('--force', 'remake sets whose stamp says they are up to date')
    .parse(argv, { from: 'user' })
    .opts<{ sets: DevSetName[]; force?: boolean }>();
  return { sets: o.sets, force: o.force === true };
}

async function main(argv: string[]): Promise<void> {
  const { sets, force } = parseArgs(argv);
  mkdirSync(DEV_SETS_DIR, { recursive: true });
  const t0 = performance.now();
  for (const set of sets) {
    const t = performance.now();
    if (set === 'emoji') buildEmoji(force);
    else if (set === 'emoji-facebook') buildEmojiFacebook(force);
    else if (set === 'emoji-sources') await buildEmojiSources(force);
    else if (set === 'photos') await buildPhotos(force);
    else if (set === 'photos-unseen') await buildPhotosUnseen(force);
    else await buildTextures(force);
    log(`${set}: ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  log(`done in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${DEV_SETS_DIR}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error(`dev-sets: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  });
}
