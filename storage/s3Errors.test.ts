import { describe, expect, it } from 'vitest';
import { missingCredentialsMessage, s3ErrorText } from './s3Errors';

/** An error named as the SDK names it when its credential chain found nothing. */
function credentialsError(): Error {
  const err = new Error('Could not load credentials from any providers');
  err.name = 'CredentialsProviderError';
  return err;
}

describe('S3 error messages', () => {
  it('says where to put credentials the SDK found nowhere, as deploy and the builder both say it', () => {
    const hint =
      'no AWS credentials found (Could not load credentials from any providers): set AWS_PROFILE, or ' +
      'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; see docs/deploy.md';
    expect(missingCredentialsMessage(credentialsError())).toBe(hint);
    expect(s3ErrorText(credentialsError())).toBe(hint);
  });

  it('gives any other error as its name and message', () => {
    const denied = Object.assign(new Error('Access Denied'), { name: 'AccessDenied' });
    expect(missingCredentialsMessage(denied)).toBeUndefined();
    expect(s3ErrorText(denied)).toBe('AccessDenied: Access Denied');
  });
});
