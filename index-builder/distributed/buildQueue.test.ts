import { describe, expect, it } from 'vitest';
import { FIXTURE_MODEL_SPEC } from '../../testing/modelSpecFixture';
import { BUILD_JOB_VERSION, checkBuildJobData, jobName, queueNameFor, type BuildJobData } from './buildQueue';

const QUEUE = queueNameFor('b1-test');

function job(): BuildJobData {
  return {
    jobVersion: BUILD_JOB_VERSION,
    buildId: 'b1-test',
    jobId: 'job-00003',
    source: 's3://bucket/photos/',
    work: 's3://bucket/.lookalike-work/',
    model: {
      sha256: 'ab'.repeat(32),
      spec: FIXTURE_MODEL_SPEC,
    },
    maxPixels: 1e8,
    batchSize: 16,
    augment: { viewsPerImage: 4, sampleRate: 0.5 },
    keepMetadata: false,
    entries: [
      {
        album: 'faces',
        path: 'a.png',
        key: 'faces/a.png',
        location: 'photos/faces/a.png',
        size: 10,
        version: '"e"',
      },
    ],
  };
}

describe('checkBuildJobData', () => {
  it('passes a job as the coordinator writes it', () => {
    expect(checkBuildJobData(job(), QUEUE)).toEqual(job());
  });

  it('names the job and the problem for whatever else is in the queue', () => {
    const cases: [unknown, RegExp][] = [
      [null, /a job on lookalike-build-b1-test is malformed: its data is not an object/],
      [{ ...job(), jobVersion: 1 }, /has job format 1, this worker reads/],
      [{ ...job(), buildId: 'other' }, /job-00003 is malformed: its build id "other" is not the queue's/],
      [{ ...job(), jobId: '../x' }, /its job id is not job-NNNNN/],
      [{ ...job(), source: '/etc' }, /its source is not an s3:\/\/ URL/],
      [{ ...job(), model: { sha256: 'x', spec: job().model.spec } }, /its model has no sha256/],
      [{ ...job(), model: { sha256: 'ab'.repeat(32), spec: {} } }, /its model spec: /],
      [{ ...job(), batchSize: 0 }, /batchSize must be positive/],
      [{ ...job(), augment: { viewsPerImage: 4, sampleRate: 2 } }, /augment plan/],
      // A job from a coordinator before --keep-metadata reached workers would be misread as stripped.
      [{ ...job(), jobVersion: 2 }, /has job format 2, this worker reads 3/],
      [{ ...job(), keepMetadata: 'yes' }, /its keepMetadata is not true or false/],
      [{ ...job(), entries: 'all' }, /it lists no entries/],
      [{ ...job(), entries: [null] }, /entry 0 is not/],
      [{ ...job(), entries: [{ ...job().entries[0], size: -1 }] }, /entry 0 is not/],
    ];
    for (const [data, message] of cases) expect(() => checkBuildJobData(data, QUEUE)).toThrow(message);
  });

  it('names a job by its data, or by its id when the data holds none', () => {
    expect(jobName({ id: '7', data: job() })).toBe('job-00003');
    expect(jobName({ id: '7', data: null })).toBe('7');
  });
});
