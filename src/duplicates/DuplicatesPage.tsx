import type { DuplicateStrictness, LoadInfo } from '../../workers/searchApi';
import { homeHref } from '../routing/route';
import { DuplicateGroupsSection } from './DuplicateGroupsSection';
import { StrictnessSelector } from './StrictnessSelector';
import './duplicates.css';

interface DuplicatesPageProps {
  strictness: DuplicateStrictness;
  k: number;
  collection: LoadInfo;
  onStrictnessChange: (strictness: DuplicateStrictness) => void;
}

/**
 * `#/duplicates`: groups of near-duplicate images (resized, recompressed, lightly edited copies),
 * largest first, at a strictness the reader picks. The strictness control stays mounted while the groups
 * below it are replaced, so keyboard focus stays on it.
 */
export function DuplicatesPage({ strictness, k, collection, onStrictnessChange }: DuplicatesPageProps) {
  return (
    <section aria-labelledby="duplicates-heading" className="dup-page">
      <nav className="breadcrumbs" aria-label="Breadcrumb">
        <a href={homeHref(k)}>Albums</a>
      </nav>
      <div className="section-bar">
        <div>
          <h1 id="duplicates-heading">Duplicates</h1>
          <p className="section-note">
            Images that are copies of one another: resized, recompressed or lightly edited.
          </p>
        </div>
        {collection.duplicates && (
          <StrictnessSelector
            strictness={strictness}
            counts={collection.duplicates}
            onChange={onStrictnessChange}
          />
        )}
      </div>
      <DuplicateGroupsSection
        key={strictness}
        strictness={strictness}
        k={k}
        calibration={collection.calibration}
        counts={collection.duplicates}
        onStrictnessChange={onStrictnessChange}
      />
    </section>
  );
}
