import { expect, test, type Browser } from '@playwright/test';
import { insecureHostArgs, onInsecureHost, serverUrl } from './harness';
import { launchBrowser } from '../testing/chromium';

/*
 * The camera path with Chromium's fake capture device (a generated test pattern), a denied permission,
 * and a page without navigator.mediaDevices (plain HTTP on a non-localhost name), where the camera
 * control must not be offered at all.
 */

const FAKE_CAMERA = ['--use-fake-device-for-media-stream'];

async function withBrowser(args: string[], use: (browser: Browser) => Promise<void>): Promise<void> {
  const browser = await launchBrowser(args);
  try {
    await use(browser);
  } finally {
    await browser.close();
  }
}

test('a photo from the camera is searched like a file', async () => {
  await withBrowser(FAKE_CAMERA, async (browser) => {
    const context = await browser.newContext({ permissions: ['camera'] });
    const page = await context.newPage();
    await page.goto(serverUrl());
    await expect(page.getByTestId('album')).toHaveCount(3);
    await page.getByTestId('camera-button').click();
    const dialog = page.getByTestId('camera-dialog');
    await expect(dialog).toBeVisible();
    const take = dialog.getByRole('button', { name: 'Take photo' });
    await expect(take).toBeEnabled();
    await take.click();
    await expect(dialog).toHaveCount(0);
    await expect(page).toHaveURL(/#\/search\/upload\?k=5$/);
    await expect(page.getByTestId('query-name')).toHaveText('Camera photo');
    await expect(page.getByTestId('result')).toHaveCount(5);
  });
});

test('a denied camera permission is explained and the dialog can be closed', async () => {
  await withBrowser(FAKE_CAMERA, async (browser) => {
    // No camera permission granted: headless Chromium answers the prompt with "deny".
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(serverUrl());
    await page.getByTestId('camera-button').click();
    await expect(page.getByTestId('camera-error')).toContainText('Camera permission was denied');
    await expect(page.getByRole('button', { name: 'Take photo' })).toBeDisabled();
    await page.getByRole('button', { name: 'Cancel' }).click();
    await expect(page.getByTestId('camera-dialog')).toHaveCount(0);
    await expect(page.getByTestId('album')).toHaveCount(3);
  });
});

test('without navigator.mediaDevices there is no camera control, and offline use asks for HTTPS', async () => {
  await withBrowser(insecureHostArgs(), async (browser) => {
    const page = await browser.newPage();
    await page.goto(onInsecureHost(serverUrl()));
    await expect(page.getByTestId('album')).toHaveCount(3);
    expect(await page.evaluate(() => navigator.mediaDevices === undefined)).toBe(true);
    await expect(page.getByTestId('camera-button')).toHaveCount(0);
    await expect(page.getByTestId('own-image-button')).toBeVisible();
    await expect(page.getByTestId('status-offline-needs-https')).toContainText('HTTPS');
  });
});
