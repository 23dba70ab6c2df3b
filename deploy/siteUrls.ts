/** Regions whose website endpoint is `s3-website-<region>`; every other region uses `s3-website.<region>`. */
const DASH_WEBSITE_REGIONS = new Set([
  'us-east-1',
  'us-west-1',
  'us-west-2',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-northeast-1',
  'eu-west-1',
  'sa-east-1',
  'us-gov-west-1',
]);

export interface SiteUrls {
  /** Static website hosting endpoint (HTTP only on AWS): serves `index.html` for the folder URL. */
  website: string;
  /** REST endpoint over HTTPS: a secure context, so the service worker and offline mode work. */
  https: string;
}

function awsDomain(region: string): string {
  return region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
}

/**
 * The prefix as a URL path, each segment percent-encoded: a key may hold spaces, `#`, `%` or `+`,
 * which a browser would otherwise read as a fragment, an escape or (on S3) a space.
 */
function folder(prefix: string): string {
  return prefix ? `${prefix.split('/').map(encodeURIComponent).join('/')}/` : '';
}

export function siteUrls(opts: {
  bucket: string;
  region: string;
  prefix: string;
  endpoint?: string;
}): SiteUrls {
  const { bucket, region, prefix, endpoint } = opts;
  if (endpoint) {
    // An S3-compatible server addressed path-style, as the deploy itself talks to it.
    const base = `${endpoint.replace(/\/+$/, '')}/${bucket}/${folder(prefix)}`;
    return { website: base, https: `${base}index.html` };
  }
  const domain = awsDomain(region);
  const websiteHost = DASH_WEBSITE_REGIONS.has(region)
    ? `${bucket}.s3-website-${region}.${domain}`
    : `${bucket}.s3-website.${region}.${domain}`;
  // A dotted bucket name does not match the *.s3 wildcard certificate, so it has to go path-style.
  const https = bucket.includes('.')
    ? `https://s3.${region}.${domain}/${bucket}/${folder(prefix)}index.html`
    : `https://${bucket}.s3.${region}.${domain}/${folder(prefix)}index.html`;
  return { website: `http://${websiteHost}/${folder(prefix)}`, https };
}
