import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { mulberry32 } from '../core/prng';
import type { RgbaImage } from '../core/rgbaImage';
import { DEFAULT_MAX_PIXELS, decodeImage, toRgba } from '../index-builder/decodeImage';
import { editImage, encodeEdited, type ImageEdit } from '../index-builder/imageEdits';

/*
 * The duplicate benchmark's collection: every original as it is, plus edited copies of it made with
 * seeded random edits (index-builder/imageEdits.ts, and a caption overlay kept here because that
 * file belongs to the builder). True duplicates are any two images derived from the same original.
 */

/** A caption drawn over the photo: `size` is the font height, `x`/`y` the baseline start, as fractions. */
interface TextEdit {
  kind: 'text';
  text: string;
  size: number;
  x: number;
  y: number;
}

type CopyEdit = ImageEdit | TextEdit;

const COPY_EDIT_KINDS = ['crop', 'resize', 'jpeg', 'colour', 'rotate', 'text'] as const;

/** Captions people and apps put on photos. */
const CAPTIONS = ['IMG_4021', '© 2024 Family', 'Holiday!', 'Shared via Chat', 'DSC_0193', 'Copy'];

/**
 * Originals are decoded at full size for editing (the dev-set photos are at most 1600 px): the
 * builder's 1024 px decode would itself be a resize edit.
 */
const SOURCE_MAX_SIDE = 8192;

/**
 * 1–3 different edits from a seeded generator: crop 50–90 % of the area, long side 200–800 px, JPEG
 * q20–60, brightness and contrast ±25 %, rotation up to 10°, a caption. Applied in the order photo
 * tools apply them: geometry, colour, caption, then downsizing and recompression.
 */
export function copyEdits(seed: number): CopyEdit[] {
  const next = mulberry32(seed);
  const u = () => next() / 2 ** 32;
  const range = (lo: number, hi: number) => lo + (hi - lo) * u();
  const kinds: string[] = [...COPY_EDIT_KINDS];
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(u() * (i + 1));
    [kinds[i], kinds[j]] = [kinds[j], kinds[i]];
  }
  const chosen = new Set(kinds.slice(0, 1 + Math.floor(u() * 3)));
  const edits: CopyEdit[] = [];
  if (chosen.has('rotate')) edits.push({ kind: 'rotate', degrees: range(-10, 10) });
  if (chosen.has('crop'))
    edits.push({ kind: 'crop', area: range(0.5, 0.9), cx: range(0.3, 0.7), cy: range(0.3, 0.7) });
  if (chosen.has('colour'))
    edits.push({ kind: 'colour', brightness: range(0.75, 1.25), contrast: range(0.75, 1.25), saturation: 1 });
  if (chosen.has('text')) {
    const text = CAPTIONS[Math.floor(u() * CAPTIONS.length)];
    edits.push({ kind: 'text', text, size: range(0.04, 0.08), x: range(0.05, 0.5), y: range(0.15, 0.95) });
  }
  if (chosen.has('resize')) edits.push({ kind: 'resize', longSide: Math.round(range(200, 800)) });
  if (chosen.has('jpeg')) edits.push({ kind: 'jpeg', quality: Math.round(range(20, 60)) });
  return edits;
}

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };

/** The image with the caption composited on: white, outlined in black, slightly transparent. */
async function overlayText(image: RgbaImage, edit: TextEdit): Promise<RgbaImage> {
  const { width: w, height: h } = image;
  const px = Math.max(10, Math.round(edit.size * h));
  const text = edit.text.replace(/[&<>"]/g, (c) => XML_ESCAPES[c]);
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">` +
    `<text x="${Math.round(edit.x * w)}" y="${Math.round(edit.y * h)}" font-family="DejaVu Sans, sans-serif" ` +
    `font-size="${px}" font-weight="bold" fill="#ffffff" fill-opacity="0.85" stroke="#000000" ` +
    `stroke-width="${Math.max(1, Math.round(px / 16))}">${text}</text></svg>`;
  return toRgba(
    sharp(image.data, { raw: { width: w, height: h, channels: 4 } }).composite([
      { input: Buffer.from(svg), top: 0, left: 0 },
    ]),
  );
}

/** The edited copy as file bytes: JPEG when a JPEG edit is among the edits, else PNG. */
async function editedCopy(source: RgbaImage, edits: readonly CopyEdit[]): Promise<Buffer> {
  const at = edits.findIndex((e) => e.kind === 'text');
  if (at < 0) return encodeEdited(source, edits as ImageEdit[]);
  const captioned = await overlayText(
    await editImage(source, edits.slice(0, at) as ImageEdit[]),
    edits[at] as TextEdit,
  );
  return encodeEdited(captioned, edits.slice(at + 1) as ImageEdit[]);
}

export interface Original {
  file: string;
  /** Unique name of the original; its copies share it. */
  label: string;
}

interface DuplicateCollection {
  /** The folder to build: albums `originals` and `copies`. */
  dir: string;
  /** Gallery key `<album>/<name>` → label of the original it derives from. */
  labels: Map<string, string>;
  /** Each original's file in the collection, in input order. */
  originals: { file: string; label: string }[];
  /** How many copies got each edit kind. */
  editCounts: Record<string, number>;
  /** Gallery key of each copy → the kinds of its edits. */
  copyEdits: Map<string, string[]>;
}

const fileStem = (label: string) => label.replace(/[^A-Za-z0-9._-]/g, '-');

/**
 * Writes the originals and `copies` seeded edited copies of each into `dir`, and the `uncopied`
 * originals as they are (images with no duplicate, which a collection mostly holds).
 */
export async function writeDuplicateCollection(
  originals: readonly Original[],
  dir: string,
  copies: number,
  seed: number,
  uncopied: readonly Original[] = [],
): Promise<DuplicateCollection> {
  if (new Set([...originals, ...uncopied].map((o) => o.label)).size !== originals.length + uncopied.length)
    throw new Error('originals must have unique labels');
  mkdirSync(path.join(dir, 'originals'), { recursive: true });
  mkdirSync(path.join(dir, 'copies'), { recursive: true });
  const labels = new Map<string, string>();
  const editCounts: Record<string, number> = Object.fromEntries(COPY_EDIT_KINDS.map((k) => [k, 0]));
  const written: DuplicateCollection['originals'] = [];
  const kindsOf = new Map<string, string[]>();
  for (const [i, o] of originals.entries()) {
    const name = `${fileStem(o.label)}${path.extname(o.file).toLowerCase()}`;
    copyFileSync(o.file, path.join(dir, 'originals', name));
    labels.set(`originals/${name}`, o.label);
    written.push({ file: path.join(dir, 'originals', name), label: o.label });
    const source = (await decodeImage(await readFile(o.file), DEFAULT_MAX_PIXELS, SOURCE_MAX_SIDE)).image;
    for (let c = 0; c < copies; c++) {
      const edits = copyEdits((seed + i * copies + c) >>> 0);
      for (const e of edits) editCounts[e.kind]++;
      const ext = edits.some((e) => e.kind === 'jpeg') ? 'jpg' : 'png';
      const copyName = `${fileStem(o.label)}-copy${c + 1}.${ext}`;
      writeFileSync(path.join(dir, 'copies', copyName), await editedCopy(source, edits));
      labels.set(`copies/${copyName}`, o.label);
      kindsOf.set(
        `copies/${copyName}`,
        edits.map((e) => e.kind),
      );
    }
  }
  for (const o of uncopied) {
    const name = `${fileStem(o.label)}${path.extname(o.file).toLowerCase()}`;
    copyFileSync(o.file, path.join(dir, 'originals', name));
    labels.set(`originals/${name}`, o.label);
    written.push({ file: path.join(dir, 'originals', name), label: o.label });
  }
  return { dir, labels, originals: written, editCounts, copyEdits: kindsOf };
}
