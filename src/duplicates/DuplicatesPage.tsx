import { useRef } from 'react';
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
  const strictnessSelect = useRef<HTMLSelectElement>(null);
  // An empty strictness offers a looser one by a button that goes away with the groups: focus moves to
  // the strictness control, which then shows the new choice, rather than falling to the page's body.
  const showLooser = (looser: DuplicateStrictness) => {
    strictnessSelect.current?.focus();
    onStrictnessChange(looser);
  };
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
            ref={strictnessSelect}
          />
        )}
      </div>
      <DuplicateGroupsSection
        key={strictness}
        strictness={strictness}
        k={k}
        calibration={collection.calibration}
        counts={collection.duplicates}
        onStrictnessChange={showLooser}
      />
    </section>
  );
}
