import { describe, expect, it } from 'vitest';
import { cameraErrorMessage } from './cameraSupport';

const named = (name: string, message = '') => Object.assign(new Error(message), { name });

describe('cameraErrorMessage', () => {
  it('explains a denied permission', () => {
    expect(cameraErrorMessage(named('NotAllowedError'))).toMatch(/permission was denied/);
  });

  it('explains a missing camera', () => {
    expect(cameraErrorMessage(named('NotFoundError'))).toMatch(/No camera was found/);
  });

  it('explains a busy camera', () => {
    expect(cameraErrorMessage(named('NotReadableError'))).toMatch(/in use/);
  });

  it('passes on the message of anything else', () => {
    expect(cameraErrorMessage(named('TypeError', 'boom'))).toBe('The camera could not be started: boom');
    expect(cameraErrorMessage('weird')).toBe('The camera could not be started.');
  });
});
