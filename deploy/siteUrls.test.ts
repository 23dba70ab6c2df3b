import { describe, expect, it } from 'vitest';
import { siteUrls } from './siteUrls';

describe('siteUrls', () => {
  it('uses the dash website form in the older regions', () => {
    expect(siteUrls({ bucket: 'pics', region: 'us-east-1', prefix: 'demo' })).toEqual({
      website: 'http://pics.s3-website-us-east-1.amazonaws.com/demo/',
      https: 'https://pics.s3.us-east-1.amazonaws.com/demo/index.html',
    });
    expect(siteUrls({ bucket: 'pics', region: 'eu-west-1', prefix: '' }).website).toBe(
      'http://pics.s3-website-eu-west-1.amazonaws.com/',
    );
  });

  it('uses the dot website form in the newer regions', () => {
    expect(siteUrls({ bucket: 'pics', region: 'eu-central-1', prefix: 'a/b' })).toEqual({
      website: 'http://pics.s3-website.eu-central-1.amazonaws.com/a/b/',
      https: 'https://pics.s3.eu-central-1.amazonaws.com/a/b/index.html',
    });
  });

  it('goes path-style over HTTPS for dotted bucket names, and to .com.cn in China', () => {
    expect(siteUrls({ bucket: 'pics.example.org', region: 'us-west-2', prefix: '' }).https).toBe(
      'https://s3.us-west-2.amazonaws.com/pics.example.org/index.html',
    );
    expect(siteUrls({ bucket: 'pics', region: 'cn-north-1', prefix: '' }).website).toBe(
      'http://pics.s3-website.cn-north-1.amazonaws.com.cn/',
    );
  });

  it('percent-encodes each segment of the prefix, so that # or a space stays part of the path', () => {
    expect(siteUrls({ bucket: 'pics', region: 'eu-central-1', prefix: 'my site/ä #1' })).toEqual({
      website: 'http://pics.s3-website.eu-central-1.amazonaws.com/my%20site/%C3%A4%20%231/',
      https: 'https://pics.s3.eu-central-1.amazonaws.com/my%20site/%C3%A4%20%231/index.html',
    });
    expect(
      siteUrls({ bucket: 'pics', region: 'us-east-1', prefix: 'a+b/100%', endpoint: 'http://127.0.0.1:4568' })
        .website,
    ).toBe('http://127.0.0.1:4568/pics/a%2Bb/100%25/');
    expect(siteUrls({ bucket: 'pics.example.org', region: 'us-west-2', prefix: 'x y' }).https).toBe(
      'https://s3.us-west-2.amazonaws.com/pics.example.org/x%20y/index.html',
    );
  });

  it('builds endpoint-based URLs for S3-compatible servers', () => {
    expect(
      siteUrls({ bucket: 'pics', region: 'us-east-1', prefix: 'demo', endpoint: 'http://127.0.0.1:4568/' }),
    ).toEqual({
      website: 'http://127.0.0.1:4568/pics/demo/',
      https: 'http://127.0.0.1:4568/pics/demo/index.html',
    });
  });
});
