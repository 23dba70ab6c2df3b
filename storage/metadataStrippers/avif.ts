import { need, latin1, view, payloadHash } from './fileStructure';
import { keptIccProfile } from './iccProfile';

/*
 * An AVIF (ISOBMFF) original without its metadata (index-builder/originalMetadata.ts): metadata items
 * are blanked where they lie, and so are an ICC profile's device tags and unreferenced bytes (iccProfile.ts).
 */

interface Box {
  type: string;
  /** Where its content starts (after size, type and any 64-bit size). */
  body: number;
  end: number;
}

function boxes(b: Uint8Array, from: number, to: number): Box[] {
  const v = view(b);
  const found: Box[] = [];
  for (let at = from; at < to;) {
    let size = v.getUint32(at);
    let body = at + 8;
    if (size === 1) {
      size = Number(v.getBigUint64(at + 8));
      body += 8;
    }
    // Size 0 (to the end of the file) would leave no room for the record after it.
    need(size >= body - at && at + size <= to, 'box size');
    found.push({ type: latin1(b, at + 4, 4), body, end: at + size });
    at += size;
  }
  return found;
}

/** Image items: the coded image, grids, overlays, derived (rotated) images and HDR gain maps. */
const AVIF_IMAGES = new Set(['av01', 'grid', 'iovl', 'iden', 'tmap']);
/** Metadata items: EXIF, XMP and other MIME content, URIs. Their bytes are blanked where they lie. */
const AVIF_METADATA = new Set(['Exif', 'mime', 'uri ']);
/** The meta box's children. */
const AVIF_META = new Set(['hdlr', 'pitm', 'iloc', 'iinf', 'iref', 'iprp', 'idat', 'dinf', 'grpl']);
/** Item properties: codec configuration, size, colour (ICC), orientation (irot, imir), crop, HDR levels. */
const AVIF_PROPERTIES = new Set(
  'av1C ispe pixi colr irot imir clap pasp auxC clli mdcv cclv amve a1op a1lx lsel'.split(' '),
);

/** Reads big-endian unsigned integers of the sizes ISOBMFF gives (0, 2, 4 or 8 bytes). */
class Cursor {
  constructor(
    private readonly v: DataView,
    public at: number,
  ) {}
  uint(bytes: number): number {
    const at = this.at;
    this.at += bytes;
    if (bytes === 0) return 0;
    if (bytes === 2) return this.v.getUint16(at);
    if (bytes === 4) return this.v.getUint32(at);
    need(bytes === 8, 'field size');
    return Number(this.v.getBigUint64(at));
  }
}

/** Item types by id (iinf). */
function itemTypes(b: Uint8Array, iinf: Box): Map<number, string> {
  const types = new Map<number, string>();
  const entries = b[iinf.body] === 0 ? 2 : 4;
  for (const infe of boxes(b, iinf.body + 4 + entries, iinf.end)) {
    need(infe.type === 'infe' && b[infe.body] >= 2, 'infe');
    const c = new Cursor(view(b), infe.body + 4);
    const id = c.uint(b[infe.body] === 2 ? 2 : 4);
    c.uint(2); // protection index
    types.set(id, latin1(b, c.at, 4));
  }
  return types;
}

/** The byte ranges of each item (iloc), `idat` ranges made file ranges. */
function itemExtents(b: Uint8Array, iloc: Box, idat: Box | undefined): Map<number, [number, number][]> {
  const version = b[iloc.body];
  need(version <= 2, 'iloc version');
  const c = new Cursor(view(b), iloc.body + 4);
  const sizes = c.uint(2);
  const [offsetSize, lengthSize, baseSize] = [sizes >> 12, (sizes >> 8) & 15, (sizes >> 4) & 15];
  const indexSize = version > 0 ? sizes & 15 : 0;
  const extents = new Map<number, [number, number][]>();
  const count = c.uint(version < 2 ? 2 : 4);
  for (let i = 0; i < count; i++) {
    const id = c.uint(version < 2 ? 2 : 4);
    const method = version > 0 ? c.uint(2) & 15 : 0;
    need(c.uint(2) === 0, 'data in another file');
    const base = c.uint(baseSize);
    const ranges: [number, number][] = [];
    for (let n = c.uint(2); n > 0; n--) {
      c.uint(indexSize);
      const offset = c.uint(offsetSize);
      const length = c.uint(lengthSize);
      need(method === 0 || (method === 1 && idat !== undefined), 'construction method');
      const start = base + offset + (method === 1 ? idat!.body : 0);
      const limit = method === 1 ? idat!.end : b.length;
      need(length > 0 && start + length <= limit, 'extent');
      ranges.push([start, start + length]);
    }
    extents.set(id, ranges);
  }
  need(c.at <= iloc.end, 'iloc size');
  return extents;
}

export function stripAvif(b: Uint8Array, payload: Buffer): Uint8Array {
  const blank: [number, number][] = [];
  const profiles: [number, Uint8Array][] = [];
  for (const box of boxes(b, 0, b.length)) {
    if (box.type === 'free' || box.type === 'skip') blank.push([box.body, box.end]);
    else if (box.type === 'meta') blank.push(...metadataItems(b, box, profiles));
    // An image sequence (moov) and anything else are not followed.
    else need(box.type === 'ftyp' || box.type === 'mdat', `box ${box.type}`);
  }
  // Blanked in place, so that every offset in iloc stays true: the items are there, empty.
  const out = Buffer.from(b);
  for (const [start, end] of blank) out.fill(0, start, end);
  for (const [start, profile] of profiles) out.set(profile, start);
  if (out.equals(b)) return b;
  const record = Buffer.alloc(8);
  record.writeUInt32BE(8 + payload.length);
  record.write('free', 4, 'latin1');
  return Buffer.concat([out, record, payload]);
}

/**
 * The byte ranges of a meta box's metadata items; throws on items or properties not known here. Adds
 * to `profiles` the ICC profiles (colr) as they are kept, by where they start.
 */
function metadataItems(b: Uint8Array, meta: Box, profiles: [number, Uint8Array][]): [number, number][] {
  const children = boxes(b, meta.body + 4, meta.end);
  const child = (type: string) => children.find((c) => c.type === type);
  for (const c of children) need(AVIF_META.has(c.type), `meta box ${c.type}`);
  const iprp = child('iprp');
  for (const c of iprp ? boxes(b, iprp.body, iprp.end) : []) {
    if (c.type === 'ipco')
      for (const p of boxes(b, c.body, c.end)) {
        need(AVIF_PROPERTIES.has(p.type), `property ${p.type}`);
        const colour = p.type === 'colr' ? latin1(b, p.body, 4) : undefined;
        if (colour === 'prof' || colour === 'rICC') {
          // A profile colour management cannot read has no place to go but where it is: not followed.
          const profile = b.subarray(p.body + 4, p.end);
          const kept = keptIccProfile(profile);
          need(kept !== undefined, 'ICC profile');
          if (kept !== profile) profiles.push([p.body + 4, kept]);
        }
      }
    else need(c.type === 'ipma', `iprp box ${c.type}`);
  }
  const iinf = child('iinf');
  const iloc = child('iloc');
  const types = iinf ? itemTypes(b, iinf) : new Map<number, string>();
  const extents = iloc ? itemExtents(b, iloc, child('idat')) : new Map<number, [number, number][]>();
  const ranges: [number, number][] = [];
  for (const [id, type] of types) {
    need(AVIF_IMAGES.has(type) || AVIF_METADATA.has(type), `item type ${type}`);
    if (AVIF_METADATA.has(type)) ranges.push(...(extents.get(id) ?? []));
  }
  return ranges;
}

export function avifRecord(b: Uint8Array): string | undefined {
  const last = boxes(b, 0, b.length).at(-1);
  return last?.type === 'free' ? payloadHash(b.subarray(last.body, last.end)) : undefined;
}
