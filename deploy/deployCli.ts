import { Command, InvalidArgumentError, Option } from 'commander';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runDeploy, type DeployReport } from './deploy';
import { DEFAULT_FILE_RETRY, fileRetryWith } from './retry';
import { formatBytes } from '../core/formatBytes';
import { parseSitePrefix } from './sitePrefix';
import { addDataDirOption, endpointUrl, intInRange, nonEmpty, pathOption } from '../storage/cliOptions';
import { keepWorkingWhenOutputCloses } from '../storage/cliOutput';

const projectDir = fileURLToPath(new URL('..', import.meta.url));

/**
 * `--bucket`: a bare bucket name. An `s3://bucket/prefix` URL or a `bucket/prefix` path (what the AWS CLI
 * takes) reached S3 as the name and came back as the SDK's "Bucket name shouldn't contain '/'"; refused
 * here, before any request, with the command it probably meant.
 */
function bucketName(value: string): string {
  const name = nonEmpty(value);
  const path = name.replace(/^s3:\/\//i, '');
  if (path === name && !name.includes('/')) return name;
  const [bucket, ...rest] = path.split('/');
  const prefix = rest.filter((s) => s !== '').join('/');
  const meant = `--bucket ${bucket || '<name>'}${prefix === '' ? '' : ` --prefix ${prefix}`}`;
  throw new InvalidArgumentError(
    `pass the bare bucket name, e.g. ${meant} (--prefix is the key prefix to publish under)`,
  );
}

function summary(r: DeployReport, dryRun: boolean): string[] {
  const verb = dryRun ? 'would upload' : 'uploaded';
  const lines = [
    `${verb} ${r.plan.uploads.length} files (${formatBytes(r.uploadedBytes)} on disk, ` +
      `${formatBytes(r.storedBytes)} stored), ${r.plan.skips.length} unchanged`,
  ];
  if (r.gzip.files > 0) {
    const saved = r.gzip.bytes - r.gzip.storedBytes;
    lines.push(
      `gzip on ${r.gzip.files} files: ${formatBytes(r.gzip.bytes)} → ${formatBytes(r.gzip.storedBytes)} ` +
        `(saves ${formatBytes(saved)}, ${((100 * saved) / r.gzip.bytes).toFixed(0)} %)`,
    );
  }
  if (dryRun) lines.push(`would delete ${r.plan.deletes.length} stale keys`);
  else if (r.deleted.length > 0 || r.refusedDeletes.length > 0)
    lines.push(`deleted ${r.deleted.length} stale keys`);
  for (const refused of r.refusedDeletes) lines.push(`could not delete ${refused.key}: ${refused.message}`);
  const secure = r.urls.https.startsWith('https:') ? '  (HTTPS: offline mode works here)' : '';
  lines.push('', `open  ${r.urls.website}`, `  or  ${r.urls.https}${secure}`);
  return lines;
}

const program = new Command()
  .name('npm run deploy --')
  .description('Publish the site (dist/) and a data dir to an S3 bucket, served as a static website.')
  .requiredOption('--bucket <name>', 'target bucket, its bare name; must exist (required)', bucketName)
  // Each default said once: commander adds "(default: …)" itself, here in words instead of "" and false.
  .addOption(new Option('--prefix <prefix>', 'key prefix to publish under').default('', 'bucket root'))
  .option('--region <region>', 'AWS region (default: AWS_REGION / profile; the bucket region wins)')
  .option('--endpoint <url>', 'S3-compatible endpoint (path-style), e.g. http://127.0.0.1:4568', endpointUrl)
  .option('--site <dir>', 'built site', pathOption, 'dist');
const dataDirOf = addDataDirOption(program, {
  description: 'data dir written by npm run build-index',
  oldName: '--data',
  defaultDir: 'generated/demo-data',
});
program
  .option('--dry-run', 'list uploads, skips, deletes and bucket settings; change nothing')
  .option('--delete', 'after uploading, delete stale keys under the prefix that a deploy wrote')
  .option('--no-configure', 'leave website hosting, CORS and the bucket policy alone')
  .addOption(
    new Option('--public-bucket', 'bucket root only: let the policy make the whole bucket public').default(
      false,
      'only the site keys',
    ),
  )
  .option('--concurrency <n>', 'parallel uploads', intInRange(1, 256), 8)
  .option(
    '--break-lock',
    "take this prefix's deploy lock even if another deploy seems to hold it (only when none is running)",
  )
  // Bounded: retries double their wait, so a huge count would never give up. The flag once counted
  // attempts, the first included (default 3); its default of 2 retries keeps those 3 attempts.
  .option(
    '--retries <n>',
    'times a failed file is tried again, on top of the SDK per-request retries',
    intInRange(0, 20),
    DEFAULT_FILE_RETRY.attempts - 1,
  )
  .showHelpAfterError();

async function main(): Promise<void> {
  // A deploy holds the prefix's lock and uploads in phases: a closed pipe must not stop it half way.
  keepWorkingWhenOutputCloses();
  program.parse();
  const opts = program.opts<{
    bucket: string;
    prefix: string;
    region?: string;
    endpoint?: string;
    site: string;
    dryRun?: boolean;
    delete?: boolean;
    configure: boolean;
    publicBucket: boolean;
    concurrency: number;
    retries: number;
    breakLock?: boolean;
  }>();
  const dryRun = opts.dryRun === true;
  const siteDir = resolve(opts.site);
  const dataDir = resolve(dataDirOf());
  const report = await runDeploy({
    bucket: opts.bucket,
    prefix: parseSitePrefix(opts.prefix),
    region: opts.region,
    endpoint: opts.endpoint,
    siteDir,
    dataDir,
    buildSiteIfMissing: siteDir === resolve(projectDir, 'dist'),
    projectDir,
    dryRun,
    deleteStale: opts.delete === true,
    configure: opts.configure,
    publicBucket: opts.publicBucket,
    breakLock: opts.breakLock === true,
    concurrency: opts.concurrency,
    fileRetry: fileRetryWith(opts.retries),
    log: (line) => console.log(line),
    progressStream: process.stderr,
  });
  for (const line of summary(report, dryRun)) console.log(line);
}

main().catch((err: unknown) => {
  console.error(`deploy failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
