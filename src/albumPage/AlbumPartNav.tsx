import { LabelledSelect } from '../common/LabelledSelect';
import { albumHref } from '../routing/route';
import { navigate } from '../routing/useHashRoute';
import { albumPart, type AlbumPart } from './albumParts';

interface AlbumPartNavProps {
  album: string;
  albumCount: number;
  shown: AlbumPart;
  k: number;
}

const countFormat = new Intl.NumberFormat();

/** Which part of a very large album is shown, and the way to the others. */
export function AlbumPartNav({ album, albumCount, shown, k }: AlbumPartNavProps) {
  const { part, parts } = shown;
  const range = (p: number) => {
    const { start, count } = albumPart(albumCount, p);
    return `${countFormat.format(start + 1)}–${countFormat.format(start + count)}`;
  };
  const choices = Array.from({ length: parts }, (_, i) => ({ value: i + 1, text: range(i + 1) }));
  return (
    <nav className="album-parts" aria-label="Parts of this album" data-testid="album-parts">
      <p data-testid="album-part-shown">
        Images {range(part)} of {countFormat.format(albumCount)}
      </p>
      {part > 1 && (
        <a className="button" href={albumHref(album, k, part - 1)} rel="prev">
          Previous {countFormat.format(albumPart(albumCount, part - 1).count)}
        </a>
      )}
      <LabelledSelect
        label="Images"
        value={part}
        choices={choices}
        onChange={(p) => navigate(albumHref(album, k, p))}
        testId="album-part-select"
      />
      {part < parts && (
        <a className="button" href={albumHref(album, k, part + 1)} rel="next">
          Next {countFormat.format(albumPart(albumCount, part + 1).count)}
        </a>
      )}
    </nav>
  );
}
