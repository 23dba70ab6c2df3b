import { join } from 'node:path';

/**
 * Environment in which the AWS SDK finds no credentials anywhere in its chain: no keys or profile, no
 * config files (named under `dir`, which holds none), no container or instance role. `undefined` means
 * "unset". For tests of what a command says when credentials are missing.
 */
export function noAwsCredentials(dir: string): Record<string, string | undefined> {
  return {
    AWS_ACCESS_KEY_ID: undefined,
    AWS_SECRET_ACCESS_KEY: undefined,
    AWS_SESSION_TOKEN: undefined,
    AWS_PROFILE: undefined,
    AWS_WEB_IDENTITY_TOKEN_FILE: undefined,
    AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: undefined,
    AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined,
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'),
    AWS_CONFIG_FILE: join(dir, 'config'),
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}
