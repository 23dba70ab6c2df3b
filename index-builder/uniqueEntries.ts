import type { SkippedFile } from './buildReport';
import type { SourceEntry, SourceListing } from './imageSource';

/**
 * The listing's entries with one per key, and its skips plus the entries left out: a root file and
 * a sub-folder named like the source can claim the same key.
 */
export function uniqueEntries(listing: SourceListing): { entries: SourceEntry[]; skipped: SkippedFile[] } {
  const skipped: SkippedFile[] = [...listing.skipped];
  const seenKeys = new Set<string>();
  const entries: SourceEntry[] = [];
  for (const e of listing.entries) {
    if (seenKeys.has(e.key)) {
      skipped.push({ key: e.key, reason: 'duplicate-key', message: `another file is also ${e.key}` });
    } else {
      seenKeys.add(e.key);
      entries.push(e);
    }
  }
  return { entries, skipped };
}
