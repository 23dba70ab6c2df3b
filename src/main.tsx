import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { RenderFailure } from './common/RenderFailure';
import { FIRST_CONTENT_FALLBACK_MS, firstContent } from './loading/firstContent';
import { initialLoad } from './loading/initialLoad';
import { registerOfflineSupport } from './offlineSupport';
import { restoreChosenK } from './routing/chosenK';
import './app.css';

// Before the first render reads the route: a reload or a return to this tab's older history entry shows
// the k chosen last (src/routing/chosenK.ts).
restoreChosenK();
// Before the first render, so the worker starts and fetches while React renders (src/loading/initialLoad.ts).
initialLoad.start();

const container = document.getElementById('root');
if (!container) throw new Error('index.html has no #root element');
createRoot(container).render(
  <StrictMode>
    <RenderFailure>
      <App />
    </RenderFailure>
  </StrictMode>,
);

// Offline support (service worker) belongs to src/offlineSupport.ts; the UI reads its status. Its install
// precaches the shell with the ~14 MB model runtime, so it starts once the page has shown its first content.
void firstContent.shown(FIRST_CONTENT_FALLBACK_MS).then(registerOfflineSupport);
