import { chromium, type Browser } from '@playwright/test';

/*
 * The system Chromium and the flags this machine needs, shared by Playwright (playwright.config.ts),
 * the e2e specs and the bench's browser measurements, so all of them run the same browser the same way.
 */

export const CHROMIUM_PATH = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
];

/** The system Chromium, headless, with CHROMIUM_ARGS plus `extraArgs`. */
export function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_ARGS, ...extraArgs],
  });
}
