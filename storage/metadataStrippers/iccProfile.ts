import { createHash } from 'node:crypto';
import { latin1, view } from './fileStructure';

/*
 * An ICC colour profile as the strippers keep it (JPEG APP2, PNG iCCP, WebP ICCP, GIF ICCRGBG1012,
 * AVIF colr): it decides the image's colours, so it stays, and so do its header and every tag that
 * colour management reads. Kept too: the profile's own descriptions (desc, cprt, dmnd, dmdd, vued…),
 * which name the colour space and its maker ("Display P3", "Copyright Apple Inc.", "IEC 61966-2.1
 * Default RGB colour space - sRGB"), and editors show and match profiles by them. What is zeroed: the
 * tags that describe a device or a measurement rather than colour (ICC_DEVICE_TAGS), which a display
 * calibrated at home writes its serial number into, and the bytes no tag points to, which can hold
 * anything. The profile keeps its length, so every format's offsets stay true.
 */

/**
 * Tags zeroed past their type: `meta` (a dictionary of anything: calibration tools write the display's
 * EDID serial there), `mmod` (Apple's make and model, with the display's serial and date), `targ` (the
 * measurements a profile was made from), `pseq` and `psid` (descriptions of the devices a device link
 * was made for). No colour management reads them to draw an image.
 */
const ICC_DEVICE_TAGS = new Set(['meta', 'mmod', 'targ', 'pseq', 'psid']);

const ICC_HEADER = 128;

/** A tag's data: [start, end) in the profile. */
type Range = [number, number];

/**
 * `p` as the strippers keep it: `p` itself when it has nothing to zero, else a copy of the same length
 * (its profile ID, if it has one, computed anew). Undefined when `p` is not an ICC profile that colour
 * management could read (no `acsp`, its tag table or a tag's data past its size): such bytes draw nothing,
 * and hold whatever was put there.
 */
export function keptIccProfile(p: Uint8Array): Uint8Array | undefined {
  if (p.length < ICC_HEADER + 4) return undefined;
  const v = view(p);
  const size = v.getUint32(0);
  const count = v.getUint32(ICC_HEADER);
  const tableEnd = ICC_HEADER + 4 + 12 * count;
  if (latin1(p, 36, 4) !== 'acsp' || size > p.length || tableEnd > size) return undefined;
  // The header but its reserved bytes (zero in every profile), the tag table, the tags' data.
  const kept: Range[] = [
    [0, 100],
    [ICC_HEADER, tableEnd],
  ];
  for (let i = 0; i < count; i++) {
    const entry = ICC_HEADER + 4 + 12 * i;
    const [start, length] = [v.getUint32(entry + 4), v.getUint32(entry + 8)];
    if (start + length > size) return undefined;
    // A device tag keeps its type signature and reserved bytes: a tag of that type, empty. Data it
    // shares with another tag is that tag's, and stays.
    kept.push([
      start,
      ICC_DEVICE_TAGS.has(latin1(p, entry, 4)) ? Math.min(start + 8, start + length) : start + length,
    ]);
  }
  const keep = new Uint8Array(p.length);
  for (const [start, end] of kept) keep.fill(1, start, end);
  const out = Buffer.from(p);
  let changed = false;
  for (let i = 0; i < out.length; i++) {
    if (keep[i] === 0 && out[i] !== 0) {
      out[i] = 0;
      changed = true;
    }
  }
  if (!changed) return p;
  if (out.subarray(84, 100).some((byte) => byte !== 0)) out.set(iccProfileId(out.subarray(0, size)), 84);
  return out;
}

/** The profile ID: MD5 of the profile with its flags, rendering intent and ID zeroed (ICC.1:2010 7.2.18). */
function iccProfileId(p: Uint8Array): Buffer {
  const copy = Buffer.from(p);
  copy.fill(0, 44, 48);
  copy.fill(0, 64, 68);
  copy.fill(0, 84, 100);
  return createHash('md5').update(copy).digest();
}
