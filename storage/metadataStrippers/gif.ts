import { need, latin1, payloadHash } from './fileStructure';

/* A GIF original without its metadata (index-builder/originalMetadata.ts): the image blocks, looping and the colour profile are kept. */

/** Application extensions kept: looping (NETSCAPE2.0, ANIMEXTS1.0) and the ICC profile (ICCRGBG1012). */
const GIF_APPS = new Set(['NETSCAPE2.0', 'ANIMEXTS1.0', 'ICCRGBG1012']);

/** Where a GIF's blocks start: after the header, the logical screen and the global colour table. */
function gifBlocksStart(b: Uint8Array): number {
  need(b.length >= 13, 'GIF header');
  return 13 + (b[10] & 0x80 ? 3 << ((b[10] & 7) + 1) : 0);
}

/** The end of a chain of data sub-blocks starting at `at`. */
function subBlocksEnd(b: Uint8Array, at: number): number {
  for (;;) {
    need(at < b.length, 'sub-blocks');
    const n = b[at];
    at += 1 + n;
    if (n === 0) return at;
  }
}

function gifComment(payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from([0x21, 0xfe, payload.length]), payload, Buffer.from([0])]);
}

export function stripGif(b: Uint8Array, payload: Buffer): Uint8Array {
  let at = gifBlocksStart(b);
  // First, so that gifRecord finds it without walking the frames.
  const out: Uint8Array[] = [b.subarray(0, at), gifComment(payload)];
  let changed = false;
  for (;;) {
    need(at < b.length, 'no trailer');
    const kind = b[at];
    if (kind === 0x3b) {
      out.push(b.subarray(at, at + 1));
      changed ||= at + 1 < b.length;
      break;
    }
    let end: number;
    let keep = true;
    if (kind === 0x2c) {
      need(at + 10 <= b.length, 'image descriptor');
      const table = b[at + 9] & 0x80 ? 3 << ((b[at + 9] & 7) + 1) : 0;
      end = subBlocksEnd(b, at + 10 + table + 1);
    } else {
      need(kind === 0x21, `block ${kind}`);
      const label = b[at + 1];
      end = subBlocksEnd(b, at + 2);
      // Graphic control (frame timing, transparency), plain text (drawn), and the applications above;
      // not comments, XMP (XMP DataXMP), Photoshop or IPTC blocks, nor anything unknown.
      keep =
        label === 0xf9 ||
        label === 0x01 ||
        (label === 0xff && b[at + 2] === 11 && GIF_APPS.has(latin1(b, at + 3, 11)));
    }
    need(end <= b.length, 'block end');
    if (keep) out.push(b.subarray(at, end));
    else changed = true;
    at = end;
  }
  return changed ? Buffer.concat(out) : b;
}

export function gifRecord(b: Uint8Array): string | undefined {
  const at = gifBlocksStart(b);
  if (b[at] !== 0x21 || b[at + 1] !== 0xfe) return undefined;
  return payloadHash(b.subarray(at + 3, at + 3 + b[at + 2]));
}
