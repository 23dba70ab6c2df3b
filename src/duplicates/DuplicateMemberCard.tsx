import { printable } from '../../core/printableText';
import { labelText, similarityLabel, type SimilarityCalibration } from '../../core/calibration';
import type { DuplicateMember } from '../../workers/searchApi';
import { useAlbumName } from '../catalog/albumNames';
import { dataFileUrl } from '../catalog/dataUrl';
import { formatBytes } from '../../core/formatBytes';
import { searchHref } from '../routing/route';
import { formatScore } from '../search/formatScore';
import { DataImage } from '../catalog/DataImage';

interface DuplicateMemberCardProps {
  member: DuplicateMember;
  group: number;
  index: number;
  k: number;
  calibration: SimilarityCalibration | null;
  tabbable: boolean;
  onFocus: (group: number, member: number) => void;
}

/**
 * One image of a group: what a person needs to pick the copy to keep. The first member is the group's
 * reference (its largest image); the others show their score against it and what that score means in
 * this collection. Opening one searches from it.
 */
export function DuplicateMemberCard({
  member: { item, score },
  group,
  index,
  k,
  calibration,
  tabbable,
  onFocus,
}: DuplicateMemberCardProps) {
  const reference = index === 0;
  const label = !reference && calibration ? similarityLabel(score, calibration) : null;
  const size = item.bytes === undefined ? null : formatBytes(item.bytes);
  const pixels = `${item.width}×${item.height}`;
  // The name is the card's visible text in its order (so a person who says what they see, by speech
  // input, reaches the link), then what the score is measured against.
  const name = printable(item.name);
  const album = useAlbumName()(item.album);
  const shown = [
    name,
    reference ? 'Reference' : formatScore(score),
    ...(label ? [labelText(label)] : []),
    album,
    pixels,
    ...(size ? [size] : []),
  ].join(', ');
  const against = reference
    ? 'the group’s largest image; the others are scored against it'
    : 'similarity to the reference';
  return (
    <div role="gridcell" className="dup-cell">
      <a
        href={searchHref(item.id, k)}
        className="dup-member"
        data-testid="duplicate-member"
        data-id={item.id}
        data-group={group}
        data-member={index}
        tabIndex={tabbable ? 0 : -1}
        aria-label={`${shown}; ${against}`}
        onFocus={() => onFocus(group, index)}
      >
        <span className="thumb-frame">
          <DataImage
            src={dataFileUrl(item.thumb)}
            alt=""
            loading="lazy"
            decoding="async"
            draggable={false}
            width={item.width}
            height={item.height}
          />
        </span>
        {/* Spaces between the parts (not drawn between grid and flex items) keep their words apart in the
            text that checkers and speech tools compare with the name. */}
        <span className="dup-name" title={name} data-testid="duplicate-name">
          {name}
        </span>{' '}
        <span className="result-meta">
          {reference ? (
            <span className="dup-reference" title="The group's largest image; scores are against it">
              Reference
            </span>
          ) : (
            <span className="result-score" data-testid="duplicate-score" title="Similarity to the reference">
              {formatScore(score)}
            </span>
          )}
          {label !== null && (
            <>
              {' '}
              <span className={`result-label result-label-${label}`} data-testid="duplicate-label">
                {labelText(label)}
              </span>
            </>
          )}
        </span>{' '}
        {/* Cut to the card's width: the whole text on hover, what a person picks the copy to keep by. */}
        <span className="dup-detail" data-testid="duplicate-album" title={album}>
          {album}
        </span>{' '}
        <span className="dup-detail" title={size ? `${pixels} · ${size}` : pixels}>
          <span data-testid="duplicate-pixels">{pixels}</span>
          {size && (
            <>
              {' · '}
              <span data-testid="duplicate-bytes">{size}</span>
            </>
          )}
        </span>
      </a>
    </div>
  );
}
