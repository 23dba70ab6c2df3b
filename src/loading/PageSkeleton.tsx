import type { Route } from '../routing/route';

interface PageSkeletonProps {
  page: Route['page'];
}

/** The shape of the page that is coming, while the index loads, so nothing jumps when it arrives. */
export function PageSkeleton({ page }: PageSkeletonProps) {
  const cells = (n: number, className: string) =>
    Array.from({ length: n }, (_, i) => <li key={i} className={`${className} skeleton`} />);
  return (
    <div className="page-skeleton" aria-busy="true" data-testid="page-skeleton">
      <p className="visually-hidden">Loading the collection…</p>
      <div className="skeleton skeleton-heading" />
      {page === 'search' ? (
        <>
          <div className="skeleton skeleton-query" />
          <ul className="result-grid">{cells(5, 'result-card')}</ul>
        </>
      ) : page === 'album' ? (
        <ul className="skeleton-grid">{cells(24, 'skeleton-cell')}</ul>
      ) : (
        <ul className="album-grid">{cells(8, 'album-card skeleton-album')}</ul>
      )}
    </div>
  );
}
