import { need, latin1, payloadHash } from './fileStructure';
import { keptIccProfile } from './iccProfile';

/*
 * A GIF original without its metadata (index-builder/originalMetadata.ts): the image blocks, their
 * graphic control, looping and the colour profile (iccProfile.ts) are kept.
 */

/** Application extensions kept: looping (NETSCAPE2.0, ANIMEXTS1.0) and the ICC profile (ICC_APP). */
const ICC_APP = 'ICCRGBG1012';
const GIF_APPS = new Set(['NETSCAPE2.0', 'ANIMEXTS1.0', ICC_APP]);

/** Where a GIF's blocks start: after the header, the logical screen and the global colour table. */
function gifBlocksStart(b: Uint8Array): number {
  need(b.length >= 13, 'GIF header');
  return 13 + (b[10] & 0x80 ? 3 << ((b[10] & 7) + 1) : 0);
}

/** The end of a chain of data sub-blocks starting at `at` (within `b`: its last byte, 0, was read). */
function subBlocksEnd(b: Uint8Array, at: number): number {
  for (;;) {
    need(at < b.length, 'sub-blocks');
    const n = b[at];
    at += 1 + n;
    if (n === 0) return at;
  }
}

/**
 * The ICC profile's application extension [at, end) as it is kept: itself, or its profile with its
 * device tags and unreferenced bytes zeroed (iccProfile.ts) in the same sub-blocks; undefined, so
 * dropped, when its sub-blocks do not hold a profile colour management could read.
 */
function keptIccExtension(b: Uint8Array, at: number, end: number): Uint8Array | undefined {
  const block = b.subarray(at, end);
  // Introducer, label, the identifier's 11 bytes and its size; then the profile's sub-blocks.
  const data: [number, number][] = [];
  for (let i = 14; block[i] !== 0; i += 1 + block[i]) data.push([i + 1, i + 1 + block[i]]);
  const profile = keptIccProfile(Buffer.concat(data.map(([s, e]) => block.subarray(s, e))));
  if (profile === undefined) return undefined;
  const out = Buffer.from(block);
  let from = 0;
  for (const [s, e] of data) {
    out.set(profile.subarray(from, from + e - s), s);
    from += e - s;
  }
  return out;
}

function gifComment(payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from([0x21, 0xfe, payload.length]), payload, Buffer.from([0])]);
}

export function stripGif(b: Uint8Array, payload: Buffer): Uint8Array {
  let at = gifBlocksStart(b);
  // First, so that gifRecord finds it without walking the frames.
  const out: Uint8Array[] = [b.subarray(0, at), gifComment(payload)];
  let changed = false;
  // Where in `out` the graphic control since the last image is, and whether it was a plain-text
  // block's (dropped): that one stays, as decoders that skip plain text (browsers, libvips) give it to
  // the next image; a later one replaces it, as it does in them.
  let control: number | undefined;
  let orphaned = false;
  const dropOrphan = () => {
    if (orphaned) out.splice(control!, 1);
    control = undefined;
    orphaned = false;
  };
  for (;;) {
    need(at < b.length, 'no trailer');
    const kind = b[at];
    if (kind === 0x3b) {
      dropOrphan();
      out.push(b.subarray(at, at + 1));
      changed ||= at + 1 < b.length;
      break;
    }
    let end: number;
    let kept: Uint8Array | undefined;
    if (kind === 0x2c) {
      need(at + 10 <= b.length, 'image descriptor');
      const table = b[at + 9] & 0x80 ? 3 << ((b[at + 9] & 7) + 1) : 0;
      end = subBlocksEnd(b, at + 10 + table + 1);
      kept = b.subarray(at, end);
      [control, orphaned] = [undefined, false];
    } else {
      need(kind === 0x21, `block ${kind}`);
      const label = b[at + 1];
      end = subBlocksEnd(b, at + 2);
      const app = label === 0xff && b[at + 2] === 11 ? latin1(b, at + 3, 11) : undefined;
      // Graphic control (frame timing, transparency) and the applications above; not plain text
      // (text to draw over the image, which no browser draws), comments, XMP (XMP DataXMP),
      // Photoshop or IPTC blocks, nor anything unknown.
      if (label === 0xf9) {
        dropOrphan();
        control = out.length;
        kept = b.subarray(at, end);
      } else if (label === 0x01) orphaned = control !== undefined;
      else if (app === ICC_APP) kept = keptIccExtension(b, at, end);
      else if (app !== undefined && GIF_APPS.has(app)) kept = b.subarray(at, end);
    }
    if (kept !== undefined) out.push(kept);
    changed ||= kept === undefined || Buffer.compare(kept, b.subarray(at, end)) !== 0;
    at = end;
  }
  return changed ? Buffer.concat(out) : b;
}

export function gifRecord(b: Uint8Array): string | undefined {
  const at = gifBlocksStart(b);
  if (b[at] !== 0x21 || b[at + 1] !== 0xfe) return undefined;
  return payloadHash(b.subarray(at + 3, at + 3 + b[at + 2]));
}
