import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { registerOfflineSupport } from './offlineSupport';
import './app.css';

const container = document.getElementById('root');
if (!container) throw new Error('index.html has no #root element');
createRoot(container).render(
  <StrictMode>
    <App />
  </StrictMode>,
);

// Offline support (service worker) belongs to src/offlineSupport.ts; the UI reads its status.
registerOfflineSupport();
