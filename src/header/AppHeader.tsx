import type { ReactNode } from 'react';
import { homeHref } from '../routing/route';

interface AppHeaderProps {
  k: number;
  /** The own-image controls. */
  search: ReactNode;
  progress: ReactNode;
}

export function AppHeader({ k, search, progress }: AppHeaderProps) {
  return (
    <header className="app-header">
      <div className="header-main">
        <a className="app-name" href={homeHref(k)} aria-label="Lookalike, all albums">
          <img className="app-logo" src="./icon.svg" alt="" width="26" height="26" />
          Lookalike
        </a>
        {search}
      </div>
      {progress}
    </header>
  );
}
