import { afterEach, describe, expect, it, vi } from 'vitest';
import { unlessOffline } from './unlessOffline';

describe('unlessOffline', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('is the message itself while online', () => {
    vi.stubGlobal('navigator', { onLine: true });
    expect(unlessOffline('HTTP 503', 'the duplicate groups are')).toBe('HTTP 503');
  });

  it('says first that the browser is offline, and keeps the message', () => {
    vi.stubGlobal('navigator', { onLine: false });
    expect(unlessOffline('Failed to fetch', 'the duplicate groups are')).toBe(
      'You are offline, and the duplicate groups are not stored on this device yet: it loads when you are back online. (Failed to fetch)',
    );
  });
});
