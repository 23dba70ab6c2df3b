import type { ReactNode } from 'react';
import { duplicatesHref, homeHref, type Route } from '../routing/route';

interface AppHeaderProps {
  k: number;
  /** The page shown, so its link in the navigation is marked as the current one. */
  page: Route['page'];
  /** The own-image controls. */
  search: ReactNode;
  progress: ReactNode;
}

export function AppHeader({ k, page, search, progress }: AppHeaderProps) {
  return (
    <header className="app-header">
      <div className="header-main">
        <a className="app-name" href={homeHref(k)} aria-label="Lookalike, all albums">
          <img className="app-logo" src="./icon.svg" alt="" width="26" height="26" />
          Lookalike
        </a>
        <nav className="header-nav" aria-label="Pages">
          <a
            href={duplicatesHref(k)}
            aria-current={page === 'duplicates' ? 'page' : undefined}
            data-testid="nav-duplicates"
          >
            Duplicates
          </a>
        </nav>
        {search}
      </div>
      {progress}
    </header>
  );
}
