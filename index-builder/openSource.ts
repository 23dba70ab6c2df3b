import { FolderSource } from './folderSource';
import type { ImageSource } from './imageSource';
import { S3Source, type S3SourceOptions } from './s3Source';

/** `s3://bucket/prefix` opens an S3 source, anything else a local folder. */
export function openSource(location: string, s3Options: S3SourceOptions = {}): ImageSource {
  if (location.startsWith('s3://')) return new S3Source(location, s3Options);
  if (s3Options.endpoint !== undefined) {
    throw new Error(`--endpoint only applies to s3:// sources, not ${location}`);
  }
  return new FolderSource(location);
}
