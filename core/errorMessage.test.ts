import { describe, expect, it } from 'vitest';
import { errorMessage } from './errorMessage';

describe('errorMessage', () => {
  it("is an Error's message, of any Error subclass", () => {
    expect(errorMessage(new Error('disk full'))).toBe('disk full');
    expect(errorMessage(new RangeError('out of range'))).toBe('out of range');
    expect(errorMessage(new DOMException('quota exceeded', 'QuotaExceededError'))).toBe('quota exceeded');
  });

  it('is the message of a plain object that has one (an error that crossed the worker boundary)', () => {
    expect(errorMessage({ name: 'Error', message: 'index damaged' })).toBe('index damaged');
    expect(errorMessage(structuredClone({ message: 'cloned' }))).toBe('cloned');
    expect(errorMessage({ message: 404 })).toBe('404');
  });

  it('is anything else as a string', () => {
    expect(errorMessage('offline')).toBe('offline');
    expect(errorMessage(42)).toBe('42');
    expect(errorMessage(undefined)).toBe('undefined');
    expect(errorMessage(null)).toBe('null');
    expect(errorMessage({ code: 1 })).toBe('[object Object]');
  });
});
